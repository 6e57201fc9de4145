package io.pgresilience.gateway;

import io.javalin.Javalin;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;

/**
 * The reference gateway: a small, real HTTP service that implements the test plan's database connection
 * architecture, so that the suite has a gateway that should pass. Configured by environment variables
 * (see {@link GatewayConfig}); started by the suite as its own process.
 */
public final class ReferenceGateway {

    public static final String VERSION = "0.1.0";

    private ReferenceGateway() {
    }

    public static void main(String[] args) {
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSX");
        System.setProperty("org.slf4j.simpleLogger.log.org.eclipse.jetty", "warn");
        System.setProperty("org.slf4j.simpleLogger.log.io.javalin", "warn");
        Logger log = org.slf4j.LoggerFactory.getLogger(ReferenceGateway.class);

        GatewayConfig config;
        try {
            config = GatewayConfig.fromEnvironment(System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("reference-gateway: " + e.getMessage());
            System.exit(2);
            return;
        }
        exitWithParent(config.parentPid(), log);

        Database db = new Database(config);
        Catalog catalog = new Catalog(db, config);
        log.info("reference-gateway {} starting: db hosts {}; {}", VERSION, db.hosts(), config.describe());
        createSchema(catalog, config, log);

        Javalin app;
        try {
            app = new HttpApi(config, db, catalog).create().start(config.host(), config.port());
        } catch (RuntimeException e) {
            System.err.println("reference-gateway: cannot listen on " + config.host() + ":" + config.port() + ": "
                    + rootMessage(e));
            db.close();
            System.exit(2);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.stop();
            db.close();
        }, "gateway-shutdown"));
        log.info("reference-gateway listening on http://{}:{}", config.host(), config.port());
    }

    /** The schema is the gateway's own; it waits a while for the database at start, as ContextForge does. */
    private static void createSchema(Catalog catalog, GatewayConfig config, Logger log) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (true) {
            try {
                catalog.createSchema(HttpApi.sha256(config.apiToken()));
                return;
            } catch (SQLException e) {
                if (Instant.now().isAfter(deadline)) {
                    System.err.println("reference-gateway: database not usable at start: " + e.getMessage());
                    System.exit(1);
                }
                log.warn("database not ready at start ({}); retrying", e.getMessage());
                try {
                    Thread.sleep(500);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** When the suite's JVM dies (even by SIGKILL), its gateway must not outlive it. */
    private static void exitWithParent(long parentPid, Logger log) {
        if (parentPid <= 0) {
            return;
        }
        ProcessHandle.of(parentPid).ifPresentOrElse(
                parent -> parent.onExit().thenRun(() -> {
                    log.info("parent process {} ended; stopping", parentPid);
                    System.exit(0);
                }),
                () -> System.exit(0));
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }
}
