package mqgateway.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.MixAll;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.junit.jupiter.api.Test;

/**
 * A concurrent push consumer that answers RECONSUME_LATER: the client sends the message back
 * (CONSUMER_SEND_MSG_BACK), the broker redelivers it through %RETRY%group after the delay level, and after
 * maxReconsumeTimes the message lands in %DLQ%group, where a query by key finds it.
 */
class RetryDlqTest {
    @Test
    void failedMessagesAreRetriedThenDeadLettered() throws Exception {
        OurCluster c = OurCluster.get();
        String topic = c.createTopic("JRetry", 2);
        String group = c.unique("retry");
        DefaultMQProducer p = Clients.producer(c);
        String okKey = c.unique("ok-after-one-retry");
        String deadKey = c.unique("always-fails");
        try {
            p.send(new Message(topic, "R", okKey, "recovers".getBytes(StandardCharsets.UTF_8)));
            p.send(new Message(topic, "R", deadKey, "poison".getBytes(StandardCharsets.UTF_8)));
        } finally {
            p.shutdown();
        }
        Map<String, List<Integer>> deliveries = new ConcurrentHashMap<>();
        DefaultMQPushConsumer pc = new DefaultMQPushConsumer(group);
        pc.setNamesrvAddr(c.namesrvAddr);
        pc.setInstanceName(c.unique("rc"));
        pc.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        pc.setMaxReconsumeTimes(2);
        pc.subscribe(topic, "*");
        pc.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            ctx.setDelayLevelWhenNextConsume(1); // 1 s instead of 10 s, 30 s, ...
            boolean fail = false;
            for (MessageExt e : msgs) {
                deliveries.computeIfAbsent(e.getKeys(), k -> java.util.Collections.synchronizedList(new ArrayList<>()))
                    .add(e.getReconsumeTimes());
                fail |= e.getKeys().equals(deadKey) || e.getReconsumeTimes() == 0;
            }
            return fail ? ConsumeConcurrentlyStatus.RECONSUME_LATER : ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        pc.setConsumeMessageBatchMaxSize(1);
        pc.start();
        try {
            long deadline = System.currentTimeMillis() + 60000;
            while (System.currentTimeMillis() < deadline) {
                List<Integer> dead = deliveries.get(deadKey);
                List<Integer> ok = deliveries.get(okKey);
                if (dead != null && dead.size() >= 3 && ok != null && ok.size() >= 2) {
                    break;
                }
                Thread.sleep(200);
            }
            Thread.sleep(2500); // one more delay level: a 4th delivery would show up now
        } finally {
            pc.shutdown();
        }
        assertEquals(List.of(0, 1), deliveries.get(okKey), "delivered, retried once, then consumed");
        assertEquals(List.of(0, 1, 2), deliveries.get(deadKey), "first delivery plus maxReconsumeTimes=2 retries");

        String dlq = MixAll.getDLQTopic(group);
        List<MessageExt> found = new ArrayList<>();
        long deadline = System.currentTimeMillis() + 15000;
        while (found.isEmpty() && System.currentTimeMillis() < deadline) {
            try {
                found.addAll(c.admin().queryMessage(dlq, deadKey, 32, 0, Long.MAX_VALUE).getMessageList());
            } catch (Exception e) {
                Thread.sleep(300);
            }
        }
        assertEquals(1, found.size(), "the poison message is in " + dlq);
        assertEquals("poison", new String(found.get(0).getBody(), StandardCharsets.UTF_8));
        assertEquals(topic, found.get(0).getProperty(org.apache.rocketmq.common.message.MessageConst.PROPERTY_RETRY_TOPIC));
        List<MessageExt> okInDlq;
        try {
            okInDlq = c.admin().queryMessage(dlq, okKey, 32, 0, Long.MAX_VALUE).getMessageList();
        } catch (org.apache.rocketmq.client.exception.MQClientException e) {
            okInDlq = List.of(); // "query nothing"
        }
        assertEquals(List.of(), okInDlq, "the recovered message is not dead-lettered");
    }
}
