"""Client and Producer against a real `mq dev`: byte-identical bodies, input checks, per-receipt acks."""
import os
import time

import pytest

import mqgateway
from mqgateway import AckStatus, Message, Producer, connect
from mqproc import unique


def drain(client, topic, group, want, deadline_s=60.0):
    """Gets (at-least-once) until `want` messages arrived; acks them with the next get and at the end."""
    got, receipts = [], []
    until = time.time() + deadline_s
    while len(got) < want and time.time() < until:
        res = client.get(topic, group, max_messages=32, wait_ms=2000, invisible_ms=60000, ack=receipts)
        receipts = [m.receipt for m in res.messages]
        got.extend(res.messages)
    client.ack(topic, group, receipts)
    return got


@pytest.mark.parametrize("size", [500, 2048, 1 << 20, 5 << 20])
def test_send_receive_byte_identical(dev_gateway, size):
    topic = unique("PyBytes%d" % size)
    body = os.urandom(size)
    with connect(dev_gateway) as c:
        r = c.send(Message(topic=topic, body=body, tags="T", keys=["k1"], properties={"size": str(size)}))
        assert r.ok and len(r.msg_id) == 32
        got = drain(c, topic, "g", 1)
    assert len(got) == 1
    m = got[0]
    assert m.body == body  # byte-identical
    assert (m.tags, m.keys, m.properties) == ("T", ["k1"], {"size": str(size)})
    assert m.msg_id == r.msg_id
    if r.unique_id:  # gateways with the consumption issue report it on both sides
        assert m.unique_id == r.unique_id


def test_wrong_type_never_poisons_the_connection(dev_gateway):
    topic = unique("PyPoison")
    with connect(dev_gateway) as c:
        with pytest.raises(TypeError, match="body must be bytes"):
            c.send(Message(topic=topic, body="a str body"))  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="keys"):
            c.send_batch([Message(topic=topic, body=b"ok"), Message(topic=topic, body=b"x", keys=[1])])  # type: ignore[list-item]
        with pytest.raises(ValueError):
            c.get(topic, "g", max_messages=5000)
        # The same connection still works, and nothing of the refused batch was stored.
        assert c.send(Message(topic=topic, body=b"after")).ok
        got = drain(c, topic, "g", 1, deadline_s=10)
        assert [m.body for m in got] == [b"after"]


def test_batch_results_in_order_and_gateway_errors(dev_gateway):
    topic = unique("PyBatch")
    with Producer([dev_gateway]) as p:
        results = p.send_batch([Message(topic=topic, body=b"m%d" % i) for i in range(10)])
        assert len(results) == 10 and all(r.ok for r in results)
        assert len({r.msg_id for r in results}) == 10
        with pytest.raises(mqgateway.GatewayError) as e:
            p.send_batch([Message(topic=topic, body=b"fine"), Message(topic="bad topic!", body=b"x")])
        assert e.value.code_name == "INVALID_ARGUMENT" and e.value.index == 1
        assert str(e.value).startswith("mqgateway: INVALID_ARGUMENT: ")
        assert not e.value.retryable


def test_acks_are_idempotent_with_per_receipt_results(dev_gateway):
    topic = unique("PyAck")
    with connect(dev_gateway) as c:
        c.send_batch([Message(topic=topic, body=b"a%d" % i) for i in range(3)])
        got = []
        until = time.time() + 30
        while len(got) < 3 and time.time() < until:
            got += c.get(topic, "g", wait_ms=2000, invisible_ms=60000).messages
        receipts = [m.receipt for m in got]
        first = c.ack(topic, "g", receipts)
        assert len(first) == 3
        if first[0] is None:
            # A gateway without per-receipt results (before the consumption issue) refuses a repeated ack.
            with pytest.raises(mqgateway.GatewayError):
                c.ack(topic, "g", receipts)
        else:
            assert first == [AckStatus.ACKED] * 3
            assert c.ack(topic, "g", receipts) == [AckStatus.ALREADY_ACKED] * 3  # a repeated ack never fails
            assert c.ack(topic, "g", ["not-a-receipt"]) == [AckStatus.INVALID]
        assert c.get(topic, "g", wait_ms=0, invisible_ms=1000).messages == []


def test_connect_failure_is_a_transport_error():
    with pytest.raises(mqgateway.TransportError) as e:
        connect("127.0.0.1:1", timeout=2)
    assert "127.0.0.1:1" in str(e.value)
    assert isinstance(e.value, mqgateway.MqGatewayError)
