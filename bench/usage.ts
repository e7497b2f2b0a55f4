/**
 * Command-line handling shared by the benchmarks that take no options of their own: `--help` (or `-h`) prints the
 * benchmark's usage and exits 0 before anything starts; any other argument not in `accepted` is refused with exit 2
 * (a typo must not start a several-minute run). Settings stay in the environment variables each usage lists.
 */
export function handleBenchArgs(usage: string, accepted: readonly string[] = [], argv: string[] = process.argv.slice(2)): void {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usage.trim()}\n`);
    process.exit(0);
  }
  const unknown = argv.filter((a) => !accepted.includes(a));
  if (unknown.length > 0) {
    process.stderr.write(`unknown argument(s): ${unknown.join(' ')}\n${usage.trim()}\n`);
    process.exit(2);
  }
}
