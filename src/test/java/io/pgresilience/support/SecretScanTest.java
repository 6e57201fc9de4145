package io.pgresilience.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The leak check must find a secret wherever it hides, and name it without printing it. */
class SecretScanTest {

    @Test
    void findsASecretInANestedFileAndNamesItWithoutItsValue(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("logs"));
        Files.writeString(dir.resolve("logs").resolve("gateway.log"), "connecting with password Xy7secretValue42 to db\n");
        Files.writeString(dir.resolve("clean.txt"), "nothing to see\n");
        List<String> leaks = SecretScan.leaks(Map.of("database password", "Xy7secretValue42", "token", "eyJnotHere123"),
                List.of(dir));
        assertThat(leaks).containsExactly("database password in " + dir.resolve("logs").resolve("gateway.log"));
        assertThat(String.join(" ", leaks)).doesNotContain("Xy7secretValue42");
    }

    @Test
    void aCleanTreeHasNoLeak(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("report.html"), "<html>all good</html>");
        assertThat(SecretScan.leaks(Map.of("token", "eyJnotHere123"), List.of(dir, dir.resolve("missing")))).isEmpty();
    }
}
