package mqgateway.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.MessageQueueSelector;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.junit.jupiter.api.Test;

/**
 * Ordered send with a MessageQueueSelector and two orderly push consumers of one group: each consumer consumes a
 * queue only while it holds the broker's lock on it (LOCK_BATCH_MQ), so every order id is seen in send order.
 */
class OrderlyTest {
    @Test
    void ordersArriveInSendOrderThroughQueueLocks() throws Exception {
        OurCluster c = OurCluster.get();
        String topic = c.createTopic("JOrder", 4);
        DefaultMQProducer p = Clients.producer(c);
        MessageQueueSelector byOrderId = (mqs, msg, arg) -> mqs.get(Math.floorMod(arg.hashCode(), mqs.size()));
        int orders = 6;
        int steps = 15;
        Map<Integer, Integer> queueOfOrder = new HashMap<>();
        try {
            for (int s = 0; s < steps; s++) {
                for (int o = 0; o < orders; o++) {
                    Message m = new Message(topic, "Ord", "order-" + o, (o + ":" + s).getBytes(StandardCharsets.UTF_8));
                    SendResult r = p.send(m, byOrderId, "order-" + o);
                    assertEquals(SendStatus.SEND_OK, r.getSendStatus());
                    Integer prev = queueOfOrder.put(o, r.getMessageQueue().getQueueId());
                    assertTrue(prev == null || prev == r.getMessageQueue().getQueueId(), "one queue per order id");
                }
            }
        } finally {
            p.shutdown();
        }

        String group = c.unique("orderly");
        Map<Integer, List<Integer>> seen = new ConcurrentHashMap<>();
        Set<String> consumers = ConcurrentHashMap.newKeySet();
        List<DefaultMQPushConsumer> started = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                DefaultMQPushConsumer pc = new DefaultMQPushConsumer(group);
                pc.setNamesrvAddr(c.namesrvAddr);
                pc.setInstanceName(c.unique("oc"));
                pc.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
                pc.subscribe(topic, "*");
                String name = "consumer-" + i;
                pc.registerMessageListener((MessageListenerOrderly) (msgs, ctx) -> {
                    for (MessageExt e : msgs) {
                        String[] parts = new String(e.getBody(), StandardCharsets.UTF_8).split(":");
                        seen.computeIfAbsent(Integer.parseInt(parts[0]), k -> java.util.Collections.synchronizedList(new ArrayList<>()))
                            .add(Integer.parseInt(parts[1]));
                        consumers.add(name);
                    }
                    return ConsumeOrderlyStatus.SUCCESS;
                });
                pc.start();
                started.add(pc);
            }
            long deadline = System.currentTimeMillis() + 60000;
            while (System.currentTimeMillis() < deadline) {
                int total = seen.values().stream().mapToInt(List::size).sum();
                if (total >= orders * steps) {
                    break;
                }
                Thread.sleep(200);
            }
        } finally {
            for (DefaultMQPushConsumer pc : started) {
                pc.shutdown();
            }
        }
        for (int o = 0; o < orders; o++) {
            List<Integer> got = seen.get(o);
            assertTrue(got != null, "order " + o + " consumed");
            // a queue that moves between consumers may be redelivered from its committed offset; order still holds
            List<Integer> distinct = new ArrayList<>();
            int last = -1;
            for (int s : got) {
                if (s > last) {
                    assertEquals(last + 1, s, "order " + o + " steps in order: " + got);
                    distinct.add(s);
                    last = s;
                } else {
                    assertTrue(s <= last, "a redelivery goes back, never skips: " + got);
                }
            }
            assertEquals(steps, distinct.size(), "order " + o + " complete: " + got);
        }
    }
}
