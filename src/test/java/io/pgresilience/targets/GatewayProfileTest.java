package io.pgresilience.targets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgresilience.support.LabException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A profile is data: the shipped ones load, and every mistake in one is named on a line of its own. */
class GatewayProfileTest {

    private static final String VALID = """
            name=mine
            path.readiness=/ready
            path.liveness=/health
            path.servers=/v1/servers
            path.tools=/v1/tools
            table.servers=servers
            table.tools=tools
            capabilities=NAME_FILTER
            """;

    private static List<String> mistakes(String text) {
        try {
            GatewayProfile.parse("test.properties", text);
        } catch (GatewayProfile.ProfileException e) {
            return e.mistakes();
        }
        throw new AssertionError("the profile was accepted:\n" + text);
    }

    @Test
    void theShippedProfilesLoadWithTheirCapabilities() {
        assertThat(GatewayProfile.REFERENCE.capabilities()).containsExactlyInAnyOrder(Capability.NAME_FILTER,
                Capability.BULK_UPDATE, Capability.SERVER_WITH_TOOLS, Capability.SERVER_TIMING, Capability.POOL_STATS);
        assertThat(GatewayProfile.CONTEXTFORGE.capabilities()).containsExactly(Capability.SERVER_WITH_TOOLS);
        assertThat(GatewayProfile.CONTEXTFORGE.listQuery()).containsEntry("limit", "0");
        assertThat(GatewayProfile.CONTEXTFORGE.writesToolsByIds()).isTrue();
        assertThat(GatewayProfile.REFERENCE.launch().multiHost()).isTrue();
        assertThat(GatewayProfile.CONTEXTFORGE.launch().urlForm()).isEqualTo("sqlalchemy");
    }

    @Test
    void aValidMinimalProfileLoadsWithoutTheCommandPart() {
        GatewayProfile p = GatewayProfile.parse("test.properties", VALID);
        assertThat(p.capabilities()).containsExactly(Capability.NAME_FILTER);
        assertThat(p.launch()).isNull();
        assertThat(p.serverToolsTable()).isEqualTo("tools");
    }

    @Test
    void anUnknownKeyIsOneLineWithTheNearestKnownOne() {
        assertThat(mistakes(VALID + "path.readyness=/ready\n")).containsExactly(
                "unknown key 'path.readyness'");
        assertThat(mistakes(VALID + "readiness=/ready\n")).containsExactly(
                "unknown key 'readiness' (did you mean 'path.readiness'?)");
    }

    @Test
    void aMissingRequiredKeyIsOneLine() {
        assertThat(mistakes(VALID.replace("path.servers=/v1/servers\n", ""))).containsExactly(
                "missing required key 'path.servers'");
    }

    @Test
    void aBadCapabilityNameIsOneLine() {
        assertThat(mistakes(VALID.replace("capabilities=NAME_FILTER", "capabilities=NAME_FILTER, MULTI_ROW")))
                .containsExactly("key 'capabilities': unknown capability 'MULTI_ROW' (known: BULK_UPDATE, NAME_FILTER, "
                        + "SERVER_WITH_TOOLS, SERVER_TIMING, POOL_STATS)");
        assertThat(mistakes(VALID.replace("capabilities=NAME_FILTER", "capabilities=LAB_CONTROL"))).singleElement()
                .asString().startsWith("key 'capabilities': LAB_CONTROL is not declared by a profile, the target decides it");
    }

    @Test
    void aBadPathIsOneLine() {
        assertThat(mistakes(VALID.replace("path.tools=/v1/tools", "path.tools=v1/tools?x=1"))).containsExactly(
                "key 'path.tools': 'v1/tools?x=1' is not a path (it starts with / and has no spaces, query or fragment)");
    }

    @Test
    void aCapabilityWithoutItsPathIsOneLine() {
        assertThat(mistakes(VALID.replace("capabilities=NAME_FILTER", "capabilities=BULK_UPDATE"))).containsExactly(
                "missing key 'path.bulk-update' (needed with capability BULK_UPDATE)");
    }

    @Test
    void everyMistakeIsItsOwnLineOfTheError() {
        String broken = VALID.replace("path.servers=/v1/servers\n", "").replace("capabilities=NAME_FILTER", "capabilities=FOO")
                + "colour=blue\n";
        assertThat(mistakes(broken)).containsExactlyInAnyOrder("unknown key 'colour'", "missing required key 'path.servers'",
                "key 'capabilities': unknown capability 'FOO' (known: BULK_UPDATE, NAME_FILTER, SERVER_WITH_TOOLS, "
                        + "SERVER_TIMING, POOL_STATS)");
        assertThatThrownBy(() -> GatewayProfile.parse("x.properties", broken)).isInstanceOf(LabException.class)
                .satisfies(e -> assertThat(e.getMessage().lines()).hasSize(3)
                        .allMatch(l -> l.contains("gateway profile x.properties: ")));
    }

    @Test
    void theCommandPartIsValidatedWhenPresent() {
        String launch = VALID + """
                database.url=odbc
                database.hosts=multi
                auth.token=command
                pool.idle-size=1
                pool.max-size=${pool.max}
                timeout.pool-ms=${pool.timeut-ms}
                env.DB=${database.url}
                """;
        assertThat(mistakes(launch)).containsExactlyInAnyOrder(
                "key 'database.url': 'odbc' is not one of jdbc, libpq, sqlalchemy",
                "missing key 'auth.token-command' (needed with auth.token=command)",
                "no env.NAME=${port}: the gateway must be told the port the suite chose for it",
                "key 'timeout.pool-ms': unknown placeholder ${pool.timeut-ms} (known: " + String.join(", ",
                        GatewayProfile.PLACEHOLDERS) + ", setting:KEY, secret:NAME)");
    }

    @Test
    void aProfileIsFoundByNameOrByPath(@TempDir Path dir) throws IOException {
        assertThat(GatewayProfile.named("contextforge").name()).isEqualTo("contextforge");
        Path file = dir.resolve("mine.properties");
        Files.writeString(file, VALID);
        assertThat(GatewayProfile.named(file.toString()).name()).isEqualTo("mine");
        assertThatThrownBy(() -> GatewayProfile.named("nosuch")).hasMessage(
                "unknown gateway profile 'nosuch' (known: reference, contextforge; or the path of a profile file)");
        assertThatThrownBy(() -> GatewayProfile.named(dir.resolve("missing.properties").toString()))
                .hasMessage("gateway profile file " + dir.resolve("missing.properties") + " does not exist");
    }

    @Test
    void theExampleGatewaysProfileCarriesItsCommandAndItsPreparation() {
        GatewayProfile p = GatewayProfile.named("examples/python-gateway/gateway.properties");
        assertThat(p.launch().command()).isEqualTo("${profile.dir}/run.sh");
        assertThat(p.launch().commandPrepare()).isEqualTo("${profile.dir}/run.sh --prepare");
        assertThat(p.directory()).contains(Path.of("examples/python-gateway").toAbsolutePath());
        assertThat(p.launch().environment()).containsEntry("GW_POOLER", "${pooler}");
        assertThat(GatewayProfile.REFERENCE.directory()).isEmpty();
    }

    @Test
    void anUnknownPlaceholderInTheCommandIsAMistake() {
        String launch = """
                database.url=libpq
                database.hosts=multi
                auth.token=generated
                env.GW_PORT=${port}
                pool.idle-size=1
                pool.max-size=2
                timeout.pool-ms=1000
                """;
        GatewayProfile.parse("test.properties", VALID + launch + "command=${profile.dir}/run.sh\n");
        assertThat(mistakes(VALID + launch + "command=${profile.directory}/run.sh\n")).singleElement().asString()
                .startsWith("key 'command': unknown placeholder ${profile.directory}");
    }
}
