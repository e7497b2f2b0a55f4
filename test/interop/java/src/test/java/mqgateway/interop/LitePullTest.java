package mqgateway.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.junit.jupiter.api.Test;

/**
 * DefaultLitePullConsumer in assign mode: seek to an offset, poll from there, commit, and a new consumer of the same
 * group reads the committed offset back from the broker and resumes after it. 5.x clients pull with LITE_PULL_MESSAGE
 * (361), 4.x with PULL_MESSAGE (11) and the lite-pull flag.
 */
class LitePullTest {
    @Test
    void assignSeekPollCommitResume() throws Exception {
        OurCluster c = OurCluster.get();
        String topic = c.createTopic("JLite", 1);
        DefaultMQProducer p = Clients.producer(c);
        try {
            for (int i = 0; i < 20; i++) {
                p.send(new Message(topic, "L", ("lite-" + i).getBytes(StandardCharsets.UTF_8)));
            }
        } finally {
            p.shutdown();
        }
        String group = c.unique("lite");
        DefaultLitePullConsumer lc = newConsumer(c, group);
        MessageQueue mq;
        try {
            Collection<MessageQueue> mqs = lc.fetchMessageQueues(topic);
            assertEquals(1, mqs.size());
            mq = mqs.iterator().next();
            lc.assign(mqs);
            lc.seek(mq, 7);
            List<MessageExt> got = pollAtLeast(lc, 5);
            assertEquals(7, got.get(0).getQueueOffset(), "first message after seek(7)");
            assertEquals("lite-7", new String(got.get(0).getBody(), StandardCharsets.UTF_8));
            // take exactly up to offset 11 (5 messages) and commit 12 as the next offset to read
            java.util.Map<MessageQueue, Long> commit = new java.util.HashMap<>();
            commit.put(mq, 12L);
            lc.commitSync(commit, true);
            assertEquals(12L, lc.committed(mq));

            lc.seekToBegin(mq);
            List<MessageExt> again = pollAtLeast(lc, 1);
            assertEquals(0, again.get(0).getQueueOffset(), "seekToBegin");
        } finally {
            lc.shutdown();
        }

        DefaultLitePullConsumer next = newConsumer(c, group);
        try {
            next.assign(List.of(mq));
            assertEquals(12L, next.committed(mq), "committed offset read back from the broker");
            List<MessageExt> rest = pollAtLeast(next, 8);
            assertEquals(12, rest.get(0).getQueueOffset(), "a new consumer resumes at the committed offset");
            assertEquals(19, rest.get(rest.size() - 1).getQueueOffset());
        } finally {
            next.shutdown();
        }
    }

    private static DefaultLitePullConsumer newConsumer(OurCluster c, String group) throws Exception {
        DefaultLitePullConsumer lc = new DefaultLitePullConsumer(group);
        lc.setNamesrvAddr(c.namesrvAddr);
        lc.setInstanceName(c.unique("lc"));
        lc.setAutoCommit(false);
        lc.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        lc.setPollTimeoutMillis(500);
        lc.start();
        return lc;
    }

    private static List<MessageExt> pollAtLeast(DefaultLitePullConsumer lc, int n) {
        List<MessageExt> out = new ArrayList<>();
        long deadline = System.currentTimeMillis() + 20000;
        while (out.size() < n && System.currentTimeMillis() < deadline) {
            out.addAll(lc.poll(500));
        }
        assertTrue(out.size() >= n, "polled " + out.size() + " of " + n);
        return out;
    }
}
