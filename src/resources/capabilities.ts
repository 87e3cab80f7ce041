/**
 * Everything the façade loads on first use (see `lazy`), in one module: one chunk for a bundler,
 * fetched the first time an app calls any of them, beside the app's initial chunk. (A chunk per
 * capability cut the code an app downloads by less than it added in requests and per-file
 * overhead: the modules they share with the initial bundle became a dozen small chunks of their own.)
 */
export { watch } from "../streams/feed";
export { upload } from "../streams/upload";
export { snapshot } from "../streams/snapshot";
export { batch } from "../streams/batch";
export { bucketBatcher, clientBatcher, collectionBatcher } from "./batcher";
export { getChangeset } from "./changeset";
export { addAttachment, removeAttachment } from "./attachments";
export { downloadAttachment, streamAttachment } from "./attachment-download";
export { createAccount, getAccount, updateAccountPassword, deleteAccount, listAccounts, openIDProviders } from "./accounts";
