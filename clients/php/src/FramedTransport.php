<?php
declare(strict_types=1);

namespace MqGateway;

use Thrift\Exception\TTransportException;
use Thrift\Transport\TTransport;

/**
 * Framed transport (4-byte big-endian length, then the message) that reads a frame by offset. Thrift's PHP
 * TFramedTransport cuts the rest of the frame off with substr() on every read, which copies the frame once per field:
 * a get of 700 messages of 2 KiB took seconds. This one copies each byte once.
 */
final class FramedTransport extends TTransport
{
    /** The largest frame accepted, in bytes (the gateway's own limit is maxMessageSize plus headroom). */
    public const MAX_FRAME = 64 << 20;

    private string $wbuf = '';
    private string $rbuf = '';
    private int $rpos = 0;

    public function __construct(private readonly TTransport $transport)
    {
    }

    public function isOpen(): bool
    {
        return $this->transport->isOpen();
    }

    public function open(): void
    {
        $this->transport->open();
    }

    public function close(): void
    {
        $this->wbuf = $this->rbuf = '';
        $this->rpos = 0;
        $this->transport->close();
    }

    public function read($len): string
    {
        if ($this->rpos >= strlen($this->rbuf)) {
            $head = unpack('N', $this->transport->readAll(4))[1];
            if ($head < 0 || $head > self::MAX_FRAME) {
                throw new TTransportException("frame of {$head} bytes is over the limit of " . self::MAX_FRAME);
            }
            $this->rbuf = $this->transport->readAll($head);
            $this->rpos = 0;
        }
        $out = substr($this->rbuf, $this->rpos, $len);
        $this->rpos += strlen($out);
        if ($this->rpos >= strlen($this->rbuf)) {
            $this->rbuf = '';
            $this->rpos = 0;
        }
        return $out;
    }

    public function readAll($len): string
    {
        $out = $this->read($len);
        while (strlen($out) < $len) {
            $out .= $this->read($len - strlen($out));
        }
        return $out;
    }

    public function write($buf): void
    {
        $this->wbuf .= $buf;
    }

    public function flush(): void
    {
        $out = pack('N', strlen($this->wbuf)) . $this->wbuf;
        $this->wbuf = '';
        $this->transport->write($out);
        $this->transport->flush();
    }
}
