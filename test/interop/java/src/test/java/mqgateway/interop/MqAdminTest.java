package mqgateway.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.tools.command.MQAdminStartup;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Apache's mqadmin (rocketmq-tools' MQAdminStartup, run in this JVM with its output captured) against our name
 * server and brokers: the commands an operator types first.
 */
class MqAdminTest {
    static OurCluster c;
    static String topic;
    static String group;
    static SendResult keyed;
    static final String KEY = "admin-key-" + ProcessHandle.current().pid();

    @BeforeAll
    static void data() throws Exception {
        c = OurCluster.get();
        // 4.x mqadmin configures logback from $ROCKETMQ_HOME/conf/logback_tools.xml (and would sign requests if
        // conf/tools.yml held keys; it does not exist here)
        Path home = c.dir().resolve("mqadmin-home");
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/logback_tools.xml"),
            "<configuration><root level=\"OFF\"/></configuration>\n");
        System.setProperty("rocketmq.home.dir", home.toString());

        topic = c.createTopic("JAdmin", 2);
        group = c.unique("admin_cg");
        DefaultMQProducer p = Clients.producer(c);
        try {
            for (int i = 0; i < 9; i++) {
                SendResult r = p.send(new Message(topic, "A", i == 4 ? KEY : "k" + i, ("admin-" + i).getBytes(StandardCharsets.UTF_8)));
                if (i == 4) {
                    keyed = r;
                }
            }
        } finally {
            p.shutdown();
        }
        // a push consumer group that consumed all 9 messages (its heartbeat created %RETRY%group, its shutdown
        // committed the offsets), then 3 more messages it has not consumed: a diff of 3
        java.util.concurrent.atomic.AtomicInteger consumed = new java.util.concurrent.atomic.AtomicInteger();
        DefaultMQPushConsumer pc = new DefaultMQPushConsumer(group);
        pc.setNamesrvAddr(c.namesrvAddr);
        pc.setInstanceName(c.unique("ac"));
        pc.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        pc.subscribe(topic, "*");
        pc.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            consumed.addAndGet(msgs.size());
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        pc.start();
        try {
            long deadline = System.currentTimeMillis() + 30000;
            while (consumed.get() < 9 && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            assertEquals(9, consumed.get());
        } finally {
            pc.shutdown();
        }
        p = Clients.producer(c);
        try {
            for (int i = 0; i < 3; i++) {
                p.send(new Message(topic, "A", "late" + i, ("late-" + i).getBytes(StandardCharsets.UTF_8)));
            }
        } finally {
            p.shutdown();
        }
    }

    /** Runs one mqadmin command and returns what it printed on stdout and stderr. */
    static String mqadmin(String... args) {
        List<String> all = new ArrayList<>(Arrays.asList(args));
        all.add("-n");
        all.add(c.namesrvAddr);
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(buf, true, StandardCharsets.UTF_8);
        System.setOut(capture);
        System.setErr(capture);
        try {
            MQAdminStartup.main0(all.toArray(new String[0]), null);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        String text = buf.toString(StandardCharsets.UTF_8);
        out.println("$ mqadmin " + String.join(" ", all) + "\n" + text);
        return text;
    }

    static void noError(String text) {
        assertFalse(text.contains("Exception") || text.contains("command failed"), text);
    }

    @Test
    void clusterListShowsMasterAndSlave() {
        String text = mqadmin("clusterList");
        noError(text);
        assertTrue(text.contains("#Cluster Name"), text);
        boolean master = false;
        boolean slave = false;
        for (String line : text.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 4 && f[0].equals(OurCluster.CLUSTER) && f[1].equals(OurCluster.BROKER)) {
                master |= f[2].equals("0") && f[3].equals(c.masterAddr);
                slave |= f[2].equals("1") && f[3].equals(c.slaveAddr);
            }
        }
        assertTrue(master && slave, "BID 0 = master, BID 1 = slave:\n" + text);
    }

    @Test
    void topicListNamesTheTopic() {
        String text = mqadmin("topicList");
        noError(text);
        assertTrue(Arrays.asList(text.split("\\s+")).contains(topic), text);
    }

    @Test
    void topicRoutePrintsBrokersAndQueues() {
        String text = mqadmin("topicRoute", "-t", topic);
        noError(text);
        assertTrue(text.contains(c.masterAddr) && text.contains(c.slaveAddr), text);
        assertTrue(text.replace(" ", "").contains("\"writeQueueNums\":2"), text);
    }

    @Test
    void topicStatusShowsEveryQueueAndItsMaxOffset() {
        String text = mqadmin("topicStatus", "-t", topic);
        noError(text);
        long total = 0;
        int rows = 0;
        Pattern row = Pattern.compile("^(\\S+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(.*)$");
        for (String line : text.split("\n")) {
            Matcher m = row.matcher(line.trim());
            if (m.matches() && m.group(1).equals(OurCluster.BROKER)) {
                rows++;
                total += Long.parseLong(m.group(4)) - Long.parseLong(m.group(3));
            }
        }
        assertEquals(2, rows, text);
        assertEquals(12, total, "max - min offsets add up to the messages sent:\n" + text);
    }

    @Test
    void consumerProgressShowsOffsetsAndDiff() {
        String text = mqadmin("consumerProgress", "-g", group);
        noError(text);
        assertTrue(text.contains(topic), text);
        Matcher m = Pattern.compile("Diff Total: (\\d+)").matcher(text);
        assertTrue(m.find(), text);
        assertEquals(3, Long.parseLong(m.group(1)), "the 3 messages sent after the group's last commit:\n" + text);
    }

    @Test
    void queryMsgByKeyFindsTheMessage() throws Exception {
        String text = "";
        long deadline = System.currentTimeMillis() + 10000;
        while (System.currentTimeMillis() < deadline) {
            text = mqadmin("queryMsgByKey", "-t", topic, "-k", KEY);
            if (text.contains(keyed.getMsgId())) {
                break;
            }
            Thread.sleep(300);
        }
        noError(text);
        assertTrue(text.contains(keyed.getMsgId()), text);
    }

    @Test
    void brokerStatusPrintsRuntimeFigures() {
        String text = mqadmin("brokerStatus", "-b", c.masterAddr);
        noError(text);
        for (String key : List.of("brokerVersionDesc", "msgPutTotalTodayNow", "putTps", "commitLogMaxOffset")) {
            assertTrue(Pattern.compile("(?m)^" + key + "\\s*:").matcher(text).find(), key + " in\n" + text);
        }
    }
}
