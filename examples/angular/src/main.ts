import { bootstrapApplication } from "@angular/platform-browser";
import { App } from "./app/app";
import { browserConfig } from "./app/app.config";

bootstrapApplication(App, await browserConfig()).catch((error: unknown) => console.error(error));
