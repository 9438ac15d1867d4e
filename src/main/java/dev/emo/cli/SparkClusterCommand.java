package dev.emo.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.EmoHome;
import dev.emo.UserError;
import dev.emo.distributed.LocalSparkCluster;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "spark-cluster", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Starts (or stops) a Spark standalone cluster on loopback from this application's own jars: a Master and",
                "--workers Workers, each its own JVM; prints the master URL. State and logs in $EMO_HOME/spark-cluster."})
final class SparkClusterCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "start | stop")
    String action;
    @Option(names = "--workers", defaultValue = "2", description = "default: ${DEFAULT-VALUE}")
    int workers;
    @Option(names = "--worker_cores", defaultValue = "1", description = "default: ${DEFAULT-VALUE}")
    int cores;
    @Option(names = "--worker_memory", defaultValue = "3g", description = "memory each Worker offers its executors (default: ${DEFAULT-VALUE})")
    String memory;

    @Override
    public Integer call() throws IOException {
        Path dir = EmoHome.dir().resolve("spark-cluster");
        Path state = dir.resolve("cluster.json");
        switch (action) {
            case "start" -> {
                if (workers < 1 || cores < 1) throw new UserError("--workers " + workers + " / --worker_cores " + cores + ": each must be at least 1");
                if (!memory.matches("\\d+[mMgG]")) throw new UserError("--worker_memory " + memory + ": a size such as 512m or 3g");
                if (Files.isRegularFile(state)) {
                    throw UserError.of(state, "a cluster started here may still run", "./run.sh spark-cluster stop first");
                }
                LocalSparkCluster cluster = LocalSparkCluster.start(Files.createDirectories(dir), workers, cores, memory);
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("master", cluster.masterUrl());
                s.put("pids", cluster.pids());
                s.put("started", cluster.startTimes());
                s.put("app_jar", cluster.appJar().toString());
                new ObjectMapper().writeValue(state.toFile(), s);
                System.out.println(cluster.masterUrl());      // the Master and Workers outlive this command
                return 0;
            }
            case "stop" -> {
                if (!Files.isRegularFile(state)) throw UserError.of(state, "no cluster was started here", "./run.sh spark-cluster start");
                List<Long> pids = new ArrayList<>();
                List<String> started = new ArrayList<>();
                var json = new ObjectMapper().readTree(state.toFile());
                json.path("pids").forEach(p -> pids.add(p.asLong()));
                json.path("started").forEach(t -> started.add(t.asText()));
                int stopped = LocalSparkCluster.stop(pids, started);
                Files.delete(state);
                System.out.println("stopped " + stopped + " of " + pids.size() + " Spark processes");
                return 0;
            }
            default -> throw new UserError("spark-cluster " + action + ": unknown action; use start or stop");
        }
    }
}
