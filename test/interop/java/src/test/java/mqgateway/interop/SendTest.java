package mqgateway.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Sync, async, oneway and batch sends of Apache's producer to our master, read back with its lite-pull consumer. */
class SendTest {
    static OurCluster c;
    static DefaultMQProducer p;

    @BeforeAll
    static void start() throws Exception {
        c = OurCluster.get();
        p = Clients.producer(c);
    }

    @AfterAll
    static void stop() {
        if (p != null) {
            p.shutdown();
        }
    }

    @Test
    void syncSendKeepsTagsKeysBodyAndTheClientMessageId() throws Exception {
        String topic = c.createTopic("JSync", 4);
        Message m = new Message(topic, "TagA", "key-1 key-2", "hello sync".getBytes(StandardCharsets.UTF_8));
        m.putUserProperty("color", "blue");
        SendResult r = p.send(m);
        assertEquals(SendStatus.SEND_OK, r.getSendStatus());
        // the client id embeds the producer's address: 32 hex digits for IPv4, 56 for IPv6
        assertTrue(r.getMsgId().matches("[0-9A-F]{32}|[0-9A-F]{56}"), "client (UNIQ_KEY) id: " + r.getMsgId());
        assertEquals(32, r.getOffsetMsgId().length(), "broker (offset) id: " + r.getOffsetMsgId());
        assertEquals(topic, r.getMessageQueue().getTopic());
        assertEquals(OurCluster.BROKER, r.getMessageQueue().getBrokerName());
        assertEquals(0, r.getQueueOffset());

        List<MessageExt> got = Clients.drain(c, topic, 1, 20000);
        assertEquals(1, got.size());
        MessageExt e = got.get(0);
        assertEquals("hello sync", new String(e.getBody(), StandardCharsets.UTF_8));
        assertEquals("TagA", e.getTags());
        assertEquals("key-1 key-2", e.getKeys());
        assertEquals("blue", e.getUserProperty("color"));
        assertEquals(r.getMsgId(), e.getMsgId(), "consumers see the client id");
        assertEquals(r.getOffsetMsgId(), ((org.apache.rocketmq.common.message.MessageClientExt) e).getOffsetMsgId());
        assertEquals(r.getMessageQueue().getQueueId(), e.getQueueId());
        assertEquals(0, e.getQueueOffset());
        assertEquals(0, e.getReconsumeTimes());
        assertTrue(e.getStoreTimestamp() >= e.getBornTimestamp() - 1000, "store time after born time");
    }

    @Test
    void asyncSendsAllComplete() throws Exception {
        String topic = c.createTopic("JAsync", 4);
        int n = 40;
        CountDownLatch done = new CountDownLatch(n);
        Map<String, SendResult> results = new ConcurrentHashMap<>();
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < n; i++) {
            String body = "async-" + i;
            p.send(new Message(topic, "TagB", body.getBytes(StandardCharsets.UTF_8)), new SendCallback() {
                @Override
                public void onSuccess(SendResult sendResult) {
                    results.put(body, sendResult);
                    done.countDown();
                }

                @Override
                public void onException(Throwable e) {
                    errors.add(e);
                    done.countDown();
                }
            });
        }
        assertTrue(done.await(30, TimeUnit.SECONDS), "every callback ran");
        assertEquals(List.of(), errors);
        assertEquals(n, results.size());
        for (SendResult r : results.values()) {
            assertEquals(SendStatus.SEND_OK, r.getSendStatus());
        }
        List<MessageExt> got = Clients.drain(c, topic, n, 20000);
        Set<String> bodies = got.stream().map(e -> new String(e.getBody(), StandardCharsets.UTF_8)).collect(Collectors.toSet());
        assertEquals(results.keySet(), bodies);
        for (MessageExt e : got) {
            assertEquals(results.get(new String(e.getBody(), StandardCharsets.UTF_8)).getMsgId(), e.getMsgId());
        }
    }

    @Test
    void onewaySendsArrive() throws Exception {
        String topic = c.createTopic("JOneway", 2);
        Set<String> sent = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            String body = "oneway-" + i;
            sent.add(body);
            p.sendOneway(new Message(topic, "TagC", body.getBytes(StandardCharsets.UTF_8)));
        }
        List<MessageExt> got = Clients.drain(c, topic, sent.size(), 20000);
        assertEquals(sent, got.stream().map(e -> new String(e.getBody(), StandardCharsets.UTF_8)).collect(Collectors.toSet()));
    }

    @Test
    void batchSendStoresEachMessageWithItsOwnIdKeysAndConsecutiveOffsets() throws Exception {
        String topic = c.createTopic("JBatch", 1);
        List<Message> batch = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            Message m = new Message(topic, "TagBatch", "bk-" + i, ("batch-" + i).getBytes(StandardCharsets.UTF_8));
            m.putUserProperty("i", Integer.toString(i));
            batch.add(m);
        }
        SendResult r = p.send(batch);
        assertEquals(SendStatus.SEND_OK, r.getSendStatus());
        String[] ids = r.getMsgId().split(",");
        assertEquals(32, ids.length, "one client id per inner message: " + r.getMsgId());
        assertEquals(32, r.getOffsetMsgId().split(",").length, "one offset id per inner message");
        assertEquals(0, r.getQueueOffset());

        List<MessageExt> got = Clients.drain(c, topic, 32, 20000);
        assertEquals(32, got.size());
        got.sort(Comparator.comparingLong(MessageExt::getQueueOffset));
        for (int i = 0; i < 32; i++) {
            MessageExt e = got.get(i);
            assertEquals(i, e.getQueueOffset());
            assertEquals("batch-" + i, new String(e.getBody(), StandardCharsets.UTF_8));
            assertEquals("bk-" + i, e.getKeys());
            assertEquals("TagBatch", e.getTags());
            assertEquals(Integer.toString(i), e.getUserProperty("i"));
            assertEquals(ids[i], e.getMsgId(), "id of inner message " + i + "; sent " + r.getMsgId() + " stored " + got.stream().map(MessageExt::getMsgId).collect(Collectors.toList()));
        }
    }

    @Test
    void tagSubscriptionDeliversOnlyMatchingTags() throws Exception {
        String topic = c.createTopic("JTags", 2);
        Map<String, Integer> expected = new HashMap<>();
        String[] tags = {"TagA", "TagB", "TagC", "Aa", "BB"};
        for (int i = 0; i < 25; i++) {
            String tag = tags[i % tags.length];
            String body = tag + "-" + i;
            p.send(new Message(topic, tag, body.getBytes(StandardCharsets.UTF_8)));
            if (tag.equals("TagA") || tag.equals("Aa")) {
                expected.put(body, 1);
            }
        }
        DefaultLitePullConsumer lc = new DefaultLitePullConsumer(c.unique("tags"));
        lc.setNamesrvAddr(c.namesrvAddr);
        lc.setInstanceName(c.unique("t"));
        lc.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        lc.subscribe(topic, "TagA || Aa");
        lc.start();
        Map<String, Integer> got = new HashMap<>();
        try {
            long deadline = System.currentTimeMillis() + 20000;
            while (got.size() < expected.size() && System.currentTimeMillis() < deadline) {
                for (MessageExt e : lc.poll(500)) {
                    got.merge(new String(e.getBody(), StandardCharsets.UTF_8), 1, Integer::sum);
                }
            }
            // anything wrongly delivered would show up in the next polls too
            for (int i = 0; i < 3; i++) {
                for (MessageExt e : lc.poll(300)) {
                    got.merge(new String(e.getBody(), StandardCharsets.UTF_8), 1, Integer::sum);
                }
            }
        } finally {
            lc.shutdown();
        }
        assertEquals(expected, got, "only TagA and Aa (\"Aa\" and \"BB\" share a hash code), each once");
    }

    @Test
    void bodiesUpToFiveMebibytesRoundTripCompressedOrNot() throws Exception {
        String topic = c.createTopic("JBodies", 1);
        int[] sizes = {1, 4095, 4096, 4097, 64 * 1024, 1024 * 1024, 5 * 1024 * 1024};
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            // random bodies do not shrink under zlib; repeated ones do: both kinds cross the 4 KiB threshold
            byte[] random = Clients.body(sizes[i], i);
            byte[] repeated = new byte[sizes[i]];
            for (int j = 0; j < repeated.length; j++) {
                repeated[j] = (byte) ('a' + j % 7);
            }
            for (byte[] b : List.of(random, repeated)) {
                SendResult r = p.send(new Message(topic, "Big", "size-" + b.length, b));
                assertEquals(SendStatus.SEND_OK, r.getSendStatus());
                assertNotNull(r.getOffsetMsgId());
                sent.add(b);
            }
        }
        List<MessageExt> got = Clients.drain(c, topic, sent.size(), 60000);
        assertEquals(sent.size(), got.size());
        got.sort(Comparator.comparingLong(MessageExt::getQueueOffset));
        boolean v4 = System.getProperty("rocketmq.interop.version", "4").startsWith("4.");
        for (int i = 0; i < sent.size(); i++) {
            byte[] b = sent.get(i);
            assertArrayEquals(b, got.get(i).getBody(), "body " + i + " of " + b.length + " bytes");
            boolean compressed = b.length >= 4096;
            if (v4) {
                // 4.x keeps the stored sysFlag; 5.x clears the bit once it has inflated the body
                assertEquals(compressed ? 1 : 0, got.get(i).getSysFlag() & 1, "compressed flag of body " + i + " of " + b.length + " bytes");
            }
            if (compressed && i % 2 == 1) {
                // the repeated bodies were stored deflated: the record is far smaller than the body
                assertTrue(got.get(i).getStoreSize() < b.length / 4, "stored size " + got.get(i).getStoreSize() + " of body " + b.length);
            }
        }
    }
}
