/**
 * Pulls the next item of `source` while the consumer works on the current one: the next page's
 * request and parsing overlap the current page's writes (design.md 7: two cores). At most one item
 * waits beside the one being handled, so memory grows by one page, not more.
 */
export async function* readAhead<T, R>(
  source: AsyncIterator<T, R> | AsyncIterable<T, R>,
): AsyncGenerator<T, R | undefined> {
  const it = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source;
  let next = it.next();
  // A failure of the read-ahead surfaces when its item is asked for, not as an unhandled rejection.
  next.catch(() => {});
  let finished = false;
  try {
    for (;;) {
      const r = await next;
      if (r.done) {
        finished = true;
        return r.value;
      }
      next = it.next();
      next.catch(() => {});
      yield r.value;
    }
  } finally {
    // The consumer stopped early: let the source release what it holds once its pending read settles.
    if (!finished)
      await next.then(
        () => it.return?.(),
        () => undefined,
      );
  }
}
