package io.pgresilience.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pgresilience.support.LabException;
import io.pgresilience.support.OsUser;
import io.pgresilience.support.Ports;
import io.pgresilience.support.Wait;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real PgBouncer that dies (SIGKILL here; a FATAL of PgBouncer 1.18 in the suite) is started again on its port when
 * {@code pooler.restart=unless-stopped}, the exit reported; with {@code no} the exit stands; one the lab stops itself is
 * never restarted.
 */
class PgBouncerSupervisionTest {

    private static final Deadlines DEADLINES = new Deadlines(Duration.ofSeconds(30), Duration.ofMillis(50));

    private LabDirectory dir;
    private PgBinaries bin;
    private OsUser user;
    private final List<String> exits = new CopyOnWriteArrayList<>();

    @BeforeEach
    void labDirectory() {
        try {
            PgBouncer.locate();
        } catch (LabException e) {
            assumeTrue(false, e.getMessage());
        }
        bin = PgBinaries.locate(System.getProperty("pg.bin", ""));
        user = OsUser.forPostgres(System.getProperty("lab.os-user", ""));
        dir = LabDirectory.create(LabDirectory.root(""), user, new Leftovers(bin, user), 90);
    }

    @AfterEach
    void removeIt() {
        if (dir != null) {
            dir.delete();
        }
    }

    private PgBouncer start(boolean restartOnExit) {
        // Nothing listens upstream: PgBouncer connects to its database only for a client, and none comes here.
        PgBouncer b = PgBouncer.start(dir, user, DEADLINES, bin, Map.of("pool_mode", "transaction"), restartOnExit,
                "db", "gateway", EmbeddedCluster.newSecret(), "127.0.0.1", Ports.free());
        b.onExit(exits::add);
        return b;
    }

    @Test
    void aPgBouncerThatDiesIsStartedAgainOnItsPort() {
        PgBouncer b = start(true);
        try {
            ProcessHandle first = b.pgbouncerProcess();
            first.destroyForcibly();
            Wait.until("PgBouncer runs again under a new pid", DEADLINES.operation(), DEADLINES.poll(),
                    () -> b.isRunning() && b.pgbouncerProcess().pid() != first.pid() && !exits.isEmpty(), Boolean.TRUE::equals);
            assertThat(exits).singleElement().asString().contains("exited on its own").contains("restarted on port " + b.port());
            assertThat(b.answers()).as("its admin console answers on the same port").isTrue();
        } finally {
            b.close();
        }
        assertThat(b.isRunning()).as("running after the lab stopped it").isFalse();
        assertThat(b.pgbouncerProcess().isAlive()).as("its process after the lab stopped it").isFalse();
        assertThat(exits).as("a stop by the lab is no exit on its own").hasSize(1);
    }

    @Test
    void withoutRestartsTheExitStands() {
        PgBouncer b = start(false);
        try {
            b.pgbouncerProcess().destroyForcibly();
            Wait.until("the exit is reported", DEADLINES.operation(), DEADLINES.poll(), () -> !exits.isEmpty(), Boolean.TRUE::equals);
            assertThat(exits).singleElement().asString().contains("not restarted (pooler.restart=no)");
            assertThat(b.isRunning()).isFalse();
        } finally {
            b.close();
        }
    }
}
