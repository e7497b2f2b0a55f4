<?php
/**
 * Autoloader for the mqgateway PHP client without Composer (with Composer, use vendor/autoload.php instead).
 *
 *   MqGateway\...  -> src/ (PSR-4; the generated stubs are MqGateway\Api\... in src/Api)
 *   Thrift\...     -> THRIFT_PHP_LIB when set, else vendor/apache/thrift (a composer install in this folder), else
 *                     Debian's php-thrift, which installs Thrift\<Sub>\<Class> as /usr/lib/php/<Sub>/<Class>.php
 */
spl_autoload_register(function (string $class): void {
    static $roots = null;
    if ($roots === null) {
        $thrift = getenv('THRIFT_PHP_LIB') ?: '';
        if ($thrift === '') {
            foreach ([__DIR__ . '/vendor/apache/thrift/lib/php/lib', '/usr/lib/php', '/usr/share/php/Thrift'] as $dir) {
                if (is_file($dir . '/Transport/TSocket.php')) {
                    $thrift = $dir;
                    break;
                }
            }
        }
        $roots = ['MqGateway\\' => __DIR__ . '/src/', 'Thrift\\' => rtrim($thrift ?: '/usr/lib/php', '/') . '/'];
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
