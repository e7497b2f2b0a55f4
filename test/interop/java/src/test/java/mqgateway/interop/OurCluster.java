package mqgateway.interop;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

/**
 * Our name server and one master/slave broker set, started as real processes with ./bin/mq on free ports and temp
 * directories, once per test JVM, stopped by pid when the JVM exits. Every test class shares it and uses its own
 * topics and groups. Protocol classes are used through {@code var} only: they moved package between 4.x and 5.x,
 * and the same sources build against both client lines.
 */
public final class OurCluster {
    public static final String CLUSTER = "InteropCluster";
    public static final String BROKER = "interop-a";

    private static OurCluster instance;

    public final String namesrvAddr;
    public final String masterAddr;
    public final String slaveAddr;
    private final List<Process> processes = new ArrayList<>();
    private final Path dir;
    private final DefaultMQAdminExt admin;
    private int counter;

    public static synchronized OurCluster get() throws Exception {
        if (instance == null) {
            instance = new OurCluster();
            Runtime.getRuntime().addShutdownHook(new Thread(instance::stop));
        }
        return instance;
    }

    private OurCluster() throws Exception {
        dir = Files.createTempDirectory("mq-interop-java-");
        Map<String, String> ns = start("namesrv", List.of("namesrv", "--listenPort=0", "--httpPort=-1"));
        namesrvAddr = "127.0.0.1:" + ns.get("listenPort");
        Map<String, String> master = start("master", List.of("broker", "--brokerClusterName=" + CLUSTER,
            "--brokerName=" + BROKER, "--brokerId=0", "--brokerRole=ASYNC_MASTER",
            "--storePathRootDir=" + dir.resolve("master"), "--namesrvAddr=" + namesrvAddr, "--listenPort=0",
            "--haListenPort=" + freePort(), "--httpPort=-1", "--mappedFileSizeCommitLog=67108864",
            "--registerNameServerPeriod=1000"));
        masterAddr = "127.0.0.1:" + master.get("listenPort");
        Map<String, String> slave = start("slave", List.of("broker", "--brokerClusterName=" + CLUSTER,
            "--brokerName=" + BROKER, "--brokerId=1", "--brokerRole=SLAVE",
            "--storePathRootDir=" + dir.resolve("slave"), "--namesrvAddr=" + namesrvAddr, "--listenPort=0",
            "--httpPort=-1", "--mappedFileSizeCommitLog=67108864", "--registerNameServerPeriod=1000"));
        slaveAddr = "127.0.0.1:" + slave.get("listenPort");
        admin = new DefaultMQAdminExt("interop-admin-" + ProcessHandle.current().pid());
        admin.setNamesrvAddr(namesrvAddr);
        admin.setInstanceName("interop-admin-" + System.nanoTime());
        admin.start();
        long deadline = System.currentTimeMillis() + 30000;
        while (true) {
            int registered = 0;
            try {
                var info = admin.examineBrokerClusterInfo();
                var set = info.getBrokerAddrTable().get(BROKER);
                registered = set == null ? 0 : set.getBrokerAddrs().size();
            } catch (Exception e) {
                // not registered yet
            }
            if (registered == 2) {
                break;
            }
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("master and slave did not register; output in " + dir);
            }
            Thread.sleep(200);
        }
    }

    /** Creates a topic on the master with `queues` queues and waits until the name server routes it. */
    public synchronized String createTopic(String prefix, int queues) throws Exception {
        String topic = prefix + "_" + ProcessHandle.current().pid() + "_" + (counter++);
        TopicConfig tc = new TopicConfig(topic, queues, queues, 6);
        admin.createAndUpdateTopicConfig(masterAddr, tc);
        long deadline = System.currentTimeMillis() + 15000;
        while (System.currentTimeMillis() < deadline) {
            try {
                var r = admin.examineTopicRouteInfo(topic);
                if (!r.getQueueDatas().isEmpty() && r.getQueueDatas().get(0).getWriteQueueNums() == queues) {
                    return topic;
                }
            } catch (Exception e) {
                // not routed yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("route of " + topic + " never appeared");
    }

    /** A group or instance name no other test uses. */
    public synchronized String unique(String prefix) {
        return prefix + "_" + ProcessHandle.current().pid() + "_" + (counter++);
    }

    public DefaultMQAdminExt admin() {
        return admin;
    }

    public Path dir() {
        return dir;
    }

    private Map<String, String> start(String name, List<String> args) throws Exception {
        String root = System.getProperty("mq.root", "../../..");
        List<String> cmd = new ArrayList<>();
        cmd.add("node");
        cmd.add(new File(root, "bin/mq").getCanonicalPath());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("MQ_LOG_LEVEL", "warn");
        File log = dir.resolve(name + ".stderr.log").toFile();
        pb.redirectError(log);
        Process p = pb.start();
        processes.add(p);
        CompletableFuture<Map<String, String>> ready = new CompletableFuture<>();
        Pattern line = Pattern.compile("^(\\S+) ready (.*)$");
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String s;
                while ((s = r.readLine()) != null) {
                    Matcher m = line.matcher(s);
                    if (!ready.isDone() && m.matches()) {
                        Map<String, String> fields = new HashMap<>();
                        for (String kv : m.group(2).trim().split("\\s+")) {
                            int eq = kv.indexOf('=');
                            if (eq > 0) {
                                fields.put(kv.substring(0, eq), kv.substring(eq + 1));
                            }
                        }
                        ready.complete(fields);
                    }
                }
            } catch (IOException e) {
                ready.completeExceptionally(e);
            }
            ready.completeExceptionally(new IllegalStateException(name + " exited before ready: " + tail(log)));
        }, "mq-" + name + "-stdout");
        reader.setDaemon(true);
        reader.start();
        try {
            return ready.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(name + " did not start: " + tail(log), e);
        }
    }

    private static String tail(File f) {
        try {
            String s = Files.readString(f.toPath());
            return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
        } catch (IOException e) {
            return "(no output)";
        }
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private void stop() {
        try {
            admin.shutdown();
        } catch (Exception e) {
            // best effort at exit
        }
        for (int i = processes.size() - 1; i >= 0; i--) {
            Process p = processes.get(i);
            p.destroy();
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        }
        if (System.getenv("MQ_INTEROP_KEEP") == null) {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            } catch (IOException e) {
                // best effort
            }
        }
    }
}
