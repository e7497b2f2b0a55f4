package mqgateway.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;
import org.apache.rocketmq.remoting.protocol.SerializeType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ROCKETMQ binary header mode (serialize type 1), which Apache's benchmark tools force with
 * -Drocketmq.serialize.type=ROCKETMQ. The switch is read once in RemotingCommand's static initialiser, so this
 * class sets the same static field for the length of its tests and sets JSON back afterwards.
 */
class RocketmqSerializeTest {
    static OurCluster c;
    static Field mode;

    @BeforeAll
    static void binaryHeaders() throws Exception {
        c = OurCluster.get();
        mode = RemotingCommand.class.getDeclaredField("serializeTypeConfigInThisServer");
        mode.setAccessible(true);
        mode.set(null, SerializeType.ROCKETMQ);
        assertEquals(SerializeType.ROCKETMQ, RemotingCommand.createRequestCommand(10, null).getSerializeTypeCurrentRPC());
    }

    @AfterAll
    static void jsonAgain() throws Exception {
        mode.set(null, SerializeType.JSON);
    }

    @Test
    void sendBatchPullAndQueryWithBinaryHeaders() throws Exception {
        // a new topic: the route, the send, the pull and the query all travel with ROCKETMQ headers
        String topic = c.createTopic("JBinary", 2);
        DefaultMQProducer p = Clients.producer(c);
        try {
            SendResult one = p.send(new Message(topic, "Bin", "bin-key", "binary single".getBytes(StandardCharsets.UTF_8)));
            assertEquals(SendStatus.SEND_OK, one.getSendStatus());
            List<Message> batch = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                batch.add(new Message(topic, "Bin", "bb-" + i, ("binary batch " + i).getBytes(StandardCharsets.UTF_8)));
            }
            SendResult b = p.send(batch);
            assertEquals(SendStatus.SEND_OK, b.getSendStatus());
            assertEquals(5, b.getMsgId().split(",").length);
            byte[] big = Clients.body(300 * 1024, 99);
            assertEquals(SendStatus.SEND_OK, p.send(new Message(topic, "Bin", "bin-big", big)).getSendStatus());

            List<MessageExt> got = Clients.drain(c, topic, 7, 20000);
            assertEquals(7, got.size());
            got.sort(Comparator.comparing(MessageExt::getKeys));
            assertEquals("binary batch 0", new String(got.get(0).getBody(), StandardCharsets.UTF_8));
            assertEquals("bin-big", got.get(5).getKeys());
            org.junit.jupiter.api.Assertions.assertArrayEquals(big, got.get(5).getBody());
            assertEquals("binary single", new String(got.get(6).getBody(), StandardCharsets.UTF_8));
            assertEquals(one.getMsgId(), got.get(6).getMsgId());

            MessageExt viewed = p.viewMessage(topic, one.getOffsetMsgId());
            assertEquals("bin-key", viewed.getKeys());
            List<MessageExt> byKey = QueryTest.retry(() -> {
                List<MessageExt> l = p.queryMessage(topic, "bin-key", 8, 0, Long.MAX_VALUE).getMessageList();
                return l.isEmpty() ? null : l;
            });
            assertEquals(1, byKey.size());
        } finally {
            p.shutdown();
        }
    }
}
