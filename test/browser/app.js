/*
 * The page of the browser test (plain browser JavaScript, no build step). `kintoDemo(lib, config)`
 * runs against kinto-rx's exports, given either by the minified bundle (global KintoClient) or by
 * the ESM build: it creates a bucket, a collection and records, lists them, then shows the
 * collection's live feed. What it did is written in the DOM; the test reads it from there.
 */
window.kintoDemo = function kintoDemo(lib, config) {
  const $ = (id) => document.getElementById(id);
  const setStatus = (status) => ($("status").textContent = status);
  // Errors of the set-up and listing go to #error, those of the live feed to #feed-error.
  const failure = (element) => (error) => {
    $(element).textContent = `${error && error.name}: ${error && error.message}`;
    setStatus("error");
  };
  const item = (list, text) => {
    const li = document.createElement("li");
    li.textContent = text;
    $(list).appendChild(li);
  };
  // The last value of a cold Observable, as a Promise (without importing rxjs).
  const last = (observable) =>
    new Promise((resolve, reject) => {
      let value;
      observable.subscribe({ next: (v) => (value = v), error: reject, complete: () => resolve(value) });
    });

  const client = new lib.KintoClient(config.remote, { headers: { Authorization: config.authorization } });
  const collection = client.bucket(config.bucket).collection("tasks");

  async function createAndList() {
    setStatus("creating");
    await last(client.createBucket(config.bucket));
    await last(client.bucket(config.bucket).createCollection("tasks"));
    await last(collection.batch((batch) => config.tasks.forEach((task) => batch.createRecord(task))));

    setStatus("listing");
    // Every page (the server pages by 10), fetched one after the other as the stream is read.
    let since = null;
    let pageCount = 0;
    await new Promise((resolve, reject) =>
      collection.listRecords({ sort: "title", pages: Infinity }).subscribe({
        next: (page) => {
          pageCount++;
          since = since || page.last_modified;
          page.data.forEach((task) => item("tasks", `${task.id}: ${task.title}`));
        },
        error: reject,
        complete: resolve,
      }),
    );
    $("pages").textContent = String(pageCount);
    const total = await last(collection.getTotalRecords());
    $("total").textContent = String(total);
    return since;
  }

  // The live feed: every change made after the listing, by anyone.
  function watch(since) {
    window.feed = collection.watchRecords({ since, interval: config.interval }).subscribe({
      next: (change) => item("changes", change.deleted ? `deleted ${change.id}` : `changed ${change.id}: ${change.title}`),
      error: failure("feed-error"),
    });
    setStatus("watching");
  }

  createAndList().then((since) => {
    try {
      watch(since);
    } catch (error) {
      failure("feed-error")(error);
    }
  }, failure("error"));
};
