/** Root setup for every mocha run: an unhandled rejection or exception fails the run. */
process.on('unhandledRejection', (reason) => {
  throw reason instanceof Error ? reason : new Error(`unhandled rejection: ${String(reason)}`);
});
