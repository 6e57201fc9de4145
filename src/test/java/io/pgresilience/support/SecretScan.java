package io.pgresilience.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Greps the run's published output (reports, Allure results, captured logs) for its secrets: a token or password
 * found there is a leak, reported by the secret's name and the file, never by its value.
 */
public final class SecretScan {

    private SecretScan() {
    }

    /** @return "name in file" for every secret found in any file under the roots */
    public static List<String> leaks(Map<String, String> secrets, List<Path> roots) throws IOException {
        List<String> found = new ArrayList<>();
        for (Path root : roots) {
            if (!Files.exists(root)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                    secrets.forEach((name, value) -> {
                        if (value != null && value.length() >= 8 && text.contains(value)) {
                            found.add(name + " in " + f);
                        }
                    });
                }
            }
        }
        return found;
    }
}
