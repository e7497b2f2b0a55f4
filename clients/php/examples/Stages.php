<?php
declare(strict_types=1);

/**
 * What the example stages share: options, the article builder, the image (binary PGM) maker and resizer.
 *
 *   ingest.php  stdin lines           -> <prefix>Texts    tag "text"
 *   enrich.php  <prefix>Texts "text"  -> <prefix>Articles tag "article" (1-2 KiB JSON) + <prefix>Images tag "raw" (1-5 MB)
 *   resize.php  <prefix>Images "raw"  -> <prefix>Images   tag "thumb" (the image halved in both directions)
 * Consumers are at-least-once; run several processes (--processes=N) as the M x N consumer setups do.
 */
require_once is_file(__DIR__ . '/../vendor/autoload.php') ? __DIR__ . '/../vendor/autoload.php' : __DIR__ . '/../autoload.php';

final class Stages
{
    /** --gateways=a,b --prefix=P --count=N --processes=N */
    public static function options(): array
    {
        $o = getopt('', ['gateways:', 'prefix:', 'count:', 'processes:', 'help']);
        if (isset($o['help'])) {
            fwrite(STDOUT, "options: --gateways=HOST:PORT[,HOST:PORT] --prefix=Pipeline --count=0 (0 = until SIGTERM) --processes=1\n");
            exit(0);
        }
        return [
            'gateways' => explode(',', $o['gateways'] ?? '127.0.0.1:9090'),
            'prefix' => $o['prefix'] ?? 'Pipeline',
            'count' => (int) ($o['count'] ?? 0),
            'processes' => (int) ($o['processes'] ?? 1),
        ];
    }

    public static function article(string $text): string
    {
        return json_encode(['id' => substr(hash('sha256', $text), 0, 16), 'title' => strtoupper(substr($text, 0, 40)), 'text' => $text,
            'words' => str_word_count($text), 'chars' => strlen($text), 'summary' => str_repeat($text . ' ', max(1, intdiv(1200, strlen($text) + 1)))]);
    }

    /** A greyscale binary PGM of 1-5 MB whose size and pattern depend on the text. */
    public static function image(string $text): string
    {
        $h = hash('sha256', $text, true);
        $w = 1024;
        $rows = 1024 + ord($h[0]) * 12;
        $base = '';
        for ($x = 0; $x < $w; $x++) {
            $base .= chr((($x * (ord($h[1]) + 1)) >> 3) & 0xFF);
        }
        $step = ord($h[2]) + 1;
        $out = "P5\n{$w} {$rows}\n255\n";
        for ($y = 0; $y < $rows; $y++) {
            $s = ($y * $step) % $w;
            $out .= substr($base, $s) . substr($base, 0, $s);
        }
        return $out;
    }

    /** Halves a binary 8-bit PGM in both directions (nearest neighbour). */
    public static function resize(string $pgm): string
    {
        $parts = explode("\n", $pgm, 4);
        if (count($parts) !== 4 || $parts[0] !== 'P5' || $parts[2] !== '255') {
            throw new InvalidArgumentException('not a binary 8-bit PGM');
        }
        [$w, $h] = array_map('intval', explode(' ', $parts[1]));
        if (strlen($parts[3]) !== $w * $h) {
            throw new InvalidArgumentException("PGM of {$w}x{$h} has " . strlen($parts[3]) . ' pixel bytes');
        }
        $nw = intdiv($w, 2);
        $nh = intdiv($h, 2);
        $out = "P5\n{$nw} {$nh}\n255\n";
        for ($y = 0; $y < $nh; $y++) {
            $out .= preg_replace('/(.)./s', '$1', substr($parts[3], 2 * $y * $w, 2 * $nw));
        }
        return $out;
    }
}
