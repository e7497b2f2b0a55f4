package mqgateway.interop;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;

/** Apache client objects set up the same way in every test: name server given, unique names, 8 MiB bodies. */
final class Clients {
    static final int MAX_BODY = 8 * 1024 * 1024;

    private Clients() {
    }

    static DefaultMQProducer producer(OurCluster c) throws Exception {
        DefaultMQProducer p = new DefaultMQProducer(c.unique("pg"));
        p.setNamesrvAddr(c.namesrvAddr);
        p.setInstanceName(c.unique("p"));
        p.setMaxMessageSize(MAX_BODY);
        p.setSendMsgTimeout(15000);
        p.start();
        return p;
    }

    /**
     * Reads `count` messages of every queue of `topic` from the first offset with a lite-pull consumer in assign
     * mode (a fresh group), waiting at most `timeoutMs`.
     */
    static List<MessageExt> drain(OurCluster c, String topic, int count, long timeoutMs) throws Exception {
        DefaultLitePullConsumer lc = new DefaultLitePullConsumer(c.unique("drain"));
        lc.setNamesrvAddr(c.namesrvAddr);
        lc.setInstanceName(c.unique("d"));
        lc.setAutoCommit(false);
        lc.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        lc.setPollTimeoutMillis(500);
        lc.start();
        List<MessageExt> out = new ArrayList<>();
        try {
            Collection<MessageQueue> mqs = lc.fetchMessageQueues(topic);
            lc.assign(mqs);
            long deadline = System.currentTimeMillis() + timeoutMs;
            while (out.size() < count && System.currentTimeMillis() < deadline) {
                out.addAll(lc.poll(500));
            }
        } finally {
            lc.shutdown();
        }
        return out;
    }

    static byte[] body(int size, long seed) {
        byte[] b = new byte[size];
        java.util.Random r = new java.util.Random(seed);
        r.nextBytes(b);
        return b;
    }
}
