<?php
/**
 * Autoloader for the mqgateway PHP client without Composer.
 *
 *   MqGateway\...  -> src/ (PSR-4; the generated stubs are MqGateway\Api\... in src/Api)
 *   Thrift\...     -> Debian's php-thrift, which installs Thrift\<Sub>\<Class> as /usr/lib/php/<Sub>/<Class>.php
 *                     (no Thrift/ folder); set THRIFT_PHP_LIB to use another copy of the library.
 */
spl_autoload_register(function (string $class): void {
    static $roots = null;
    if ($roots === null) {
        $thrift = getenv('THRIFT_PHP_LIB') ?: '/usr/lib/php';
        $roots = ['MqGateway\\' => __DIR__ . '/src/', 'Thrift\\' => rtrim($thrift, '/') . '/'];
    }
    foreach ($roots as $prefix => $dir) {
        if (strncmp($class, $prefix, strlen($prefix)) === 0) {
            $file = $dir . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($file)) {
                require $file;
            }
            return;
        }
    }
});
