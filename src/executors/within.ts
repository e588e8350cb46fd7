/**
 * Waits for `promise`, at most `ms`. The timer is cleared as soon as the promise settles: a timer
 * left pending keeps Node's event loop alive, and `nagare build` (shell or `--image`) would linger
 * that long after the build ended.
 */
export async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise, new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); })]);
  } finally {
    clearTimeout(timer);
  }
}
