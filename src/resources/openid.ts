/**
 * The OpenID login URL (no request): kept out of the accounts module, which is loaded lazily,
 * because `openIDLoginURL` answers synchronously.
 */
import { InvalidArgumentError } from "../http/errors";
import type { OpenIDProvider } from "../protocol/codecs";

/**
 * The URL a browser app sends the user to, to log in with `provider`: the server redirects to the
 * identity provider, then back to `callback` with the tokens appended (the server must trust the
 * callback URL: `multiauth.policy.<name>.trusted_callback_urls`).
 * @param remote the client's remote (with version)
 * @param provider a provider from `openIDProviders` (resources/accounts)
 * @param callback where the server sends the user back; tokens are appended to it
 * @param scope OpenID scopes, space separated (default `openid email`)
 * @param prompt `none` to skip the provider's consent page when possible
 */
export function openIDLoginURL(
  remote: string,
  provider: OpenIDProvider,
  callback: string,
  scope = "openid email",
  prompt?: "none",
): string {
  if (!provider || typeof provider.auth_path !== "string" || !provider.auth_path.startsWith("/")) {
    throw new InvalidArgumentError("openIDLoginURL expects a provider of fetchOpenIDProviders() (with an auth_path).");
  }
  if (typeof callback !== "string" || !/^https?:\/\//.test(callback))
    throw new InvalidArgumentError("The OpenID callback must be an absolute http(s) URL.");
  const query = new URLSearchParams({ callback, scope });
  if (prompt) query.set("prompt", prompt);
  return `${remote}${provider.auth_path}?${query.toString()}`;
}
