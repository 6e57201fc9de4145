package io.pgresilience.targets;

import java.io.File;
import java.util.ArrayList;
import io.pgresilience.config.Settings;
import io.pgresilience.faults.LabNetwork;
import io.pgresilience.lab.DbCluster;
import io.pgresilience.lab.LabDirectory;
import io.pgresilience.support.LabException;
import io.pgresilience.support.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** This project's reference gateway, started from the project's own classes as a separate JVM. */
public final class ReferenceTarget extends ReferenceGatewayTarget {

    private final LabDirectory lab;
    private GatewayProcess process;

    public ReferenceTarget(Settings settings, DbCluster cluster, LabNetwork network, LabDirectory lab, Path logsDir) {
        super(settings, cluster, network, logsDir.resolve("reference-gateway.log"));
        this.lab = lab;
    }

    @Override
    protected void startGateway() {
        int port = Ports.requireFree(settings.integer("gateway.port"), "the reference gateway");
        baseUrl = "http://127.0.0.1:" + port;
        Map<String, String> env = setup.environment("127.0.0.1", port, topology, token, ProcessHandle.current().pid());
        List<String> argv = new ArrayList<>(List.of(javaBinary()));
        argv.addAll(ReferenceGatewaySetup.JVM_OPTIONS);
        argv.addAll(List.of("-cp", classpath(), ReferenceGatewaySetup.MAIN_CLASS));
        process = GatewayProcess.start("reference-gateway", argv, env, logFile, lab);
    }

    @Override
    protected void stopGateway() {
        if (process != null) {
            process.close();
            process = null;
        }
    }

    @Override
    protected boolean running() {
        return process != null && process.alive();
    }

    @Override
    protected void awaitHttp200(String url, Duration within) {
        process.awaitHttp200(url, within);
    }

    @Override
    protected boolean recoversWithin(String url, Duration within) {
        return process.recoversWithin(url, within);
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The gateway's own runtime classpath, which Maven writes at process-classes (see pom.xml). */
    private static String classpath() {
        Path file = Path.of("target", "gateway.classpath");
        if (!Files.exists(file)) {
            throw new LabException("target/gateway.classpath is missing: run the suite through Maven (mvn test)");
        }
        try {
            return Path.of("target", "classes").toAbsolutePath() + File.pathSeparator + Files.readString(file).trim();
        } catch (IOException e) {
            throw new LabException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Map<String, String> describe() {
        return setup.describe("reference-gateway " + version(), process == null ? "-" : Long.toString(process.pid()),
                databaseUrl());
    }

    @Override
    public void close() {
        stopGateway();
    }
}
