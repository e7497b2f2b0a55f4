package mqgateway.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.junit.jupiter.api.Test;

/** The producer's query API: by key (QUERY_MESSAGE on the index), by offset id (VIEW_MESSAGE_BY_ID), by client id. */
class QueryTest {
    @Test
    void queryByKeyByOffsetIdAndByClientId() throws Exception {
        OurCluster c = OurCluster.get();
        String topic = c.createTopic("JQuery", 2);
        String key = c.unique("order");
        DefaultMQProducer p = Clients.producer(c);
        try {
            List<SendResult> sent = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                sent.add(p.send(new Message(topic, "Q", key + " other-" + i, ("q-" + i).getBytes(StandardCharsets.UTF_8))));
            }
            p.send(new Message(topic, "Q", "unrelated", "noise".getBytes(StandardCharsets.UTF_8)));

            List<MessageExt> byKey = retry(() -> {
                List<MessageExt> l = p.queryMessage(topic, key, 32, 0, Long.MAX_VALUE).getMessageList();
                return l.size() == 3 ? l : null;
            });
            List<String> bodies = new ArrayList<>();
            for (MessageExt e : byKey) {
                bodies.add(new String(e.getBody(), StandardCharsets.UTF_8));
            }
            java.util.Collections.sort(bodies);
            assertEquals(List.of("q-0", "q-1", "q-2"), bodies);

            SendResult r = sent.get(1);
            MessageExt byOffsetId = p.viewMessage(topic, r.getOffsetMsgId());
            assertEquals("q-1", new String(byOffsetId.getBody(), StandardCharsets.UTF_8));
            assertEquals(r.getMsgId(), byOffsetId.getMsgId());

            MessageExt byClientId = retry(() -> p.viewMessage(topic, r.getMsgId()));
            assertEquals("q-1", new String(byClientId.getBody(), StandardCharsets.UTF_8));
            assertEquals(r.getQueueOffset(), byClientId.getQueueOffset());
        } finally {
            p.shutdown();
        }
    }

    interface Attempt<T> {
        T run() throws Exception;
    }

    /** The index is built after the append: a query right after the send may miss, so try for a few seconds. */
    static <T> T retry(Attempt<T> a) throws Exception {
        long deadline = System.currentTimeMillis() + 10000;
        Exception last = null;
        while (System.currentTimeMillis() < deadline) {
            try {
                T t = a.run();
                if (t != null) {
                    return t;
                }
            } catch (Exception e) {
                last = e;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no answer in 10 s", last);
    }
}
