package io.pgresilience.targets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgresilience.support.Command;
import io.pgresilience.support.LabException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ContextForge from source: the cached environment's key follows the commit, the dirty changes, the content. */
class PythonEnvSourceTest {

    private static void git(Path dir, String... args) {
        String[] argv = new String[args.length + 3];
        argv[0] = "git";
        argv[1] = "-C";
        argv[2] = dir.toString();
        System.arraycopy(args, 0, argv, 3, args.length);
        Command.of(argv).timeout(Duration.ofSeconds(30)).check("git " + String.join(" ", args));
    }

    @Test
    void aCheckoutIsKeyedByItsCommitAndItsChanges(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("pyproject.toml"), "[project]\nname = \"x\"\n");
        git(dir, "init", "-q");
        git(dir, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", ".");
        git(dir, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "one");
        PythonEnv.Source clean = PythonEnv.Source.of(dir.toString());
        assertThat(clean.kind()).isEqualTo("git");
        assertThat(clean.dirty()).isFalse();
        assertThat(clean.key()).isEqualTo("git-" + clean.commit().substring(0, 12));
        assertThat(clean.describe()).contains("at commit " + clean.commit()).doesNotContain("dirty");

        Files.writeString(dir.resolve("pyproject.toml"), "[project]\nname = \"y\"\n");
        PythonEnv.Source dirty = PythonEnv.Source.of(dir.toString());
        assertThat(dirty.dirty()).isTrue();
        assertThat(dirty.key()).startsWith(clean.key() + "-dirty-");
        Files.writeString(dir.resolve("pyproject.toml"), "[project]\nname = \"z\"\n");
        assertThat(PythonEnv.Source.of(dir.toString()).key()).startsWith(clean.key() + "-dirty-").isNotEqualTo(dirty.key());
    }

    @Test
    void aTreeIsKeyedByItsContentWithoutBuildOutput(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("pyproject.toml"), "[project]\nname = \"x\"\n");
        PythonEnv.Source first = PythonEnv.Source.of(dir.toString());
        assertThat(first.kind()).isEqualTo("tree");
        Files.createDirectories(dir.resolve("build"));
        Files.writeString(dir.resolve("build").resolve("out.txt"), "built");
        assertThat(PythonEnv.Source.of(dir.toString()).key()).isEqualTo(first.key());
        Files.writeString(dir.resolve("module.py"), "print(1)\n");
        assertThat(PythonEnv.Source.of(dir.toString()).key()).isNotEqualTo(first.key());
    }

    @Test
    void somethingElseIsOneClearLine(@TempDir Path dir) {
        assertThatThrownBy(() -> PythonEnv.Source.of(dir.toString())).isInstanceOf(LabException.class)
                .hasMessageContaining("is neither a source tree of mcp-context-forge");
    }
}
