/**
 * Keeping a long-lived stream (the live feed) out of zone.js, so that its timers and idle polls do
 * not run change detection nor keep the application unstable. Zoneless apps do not need it (there
 * it changes nothing).
 */
import { inject, NgZone } from "@angular/core";
import { Observable, type MonoTypeOperatorFunction } from "rxjs";

/**
 * Subscribes to the source outside Angular's zone and brings each notification back in: the
 * source's timers and requests schedule no change detection, each emission schedules one.
 * Call it in an injection context (a field initializer or constructor), or pass the zone.
 * @param zone the app's `NgZone` (default: `inject(NgZone)`)
 * @example
 * readonly changes$ = inject(KintoClient).bucket("b").collection("tasks").watchRecords().pipe(outsideAngularZone());
 */
export function outsideAngularZone<T>(zone: NgZone = inject(NgZone)): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) =>
      zone.runOutsideAngular(() =>
        source.subscribe({
          next: (value) => zone.run(() => subscriber.next(value)),
          error: (error: unknown) => zone.run(() => subscriber.error(error)),
          complete: () => zone.run(() => subscriber.complete()),
        }),
      ),
    );
}
