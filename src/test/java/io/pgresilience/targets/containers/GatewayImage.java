package io.pgresilience.targets.containers;

import java.time.Duration;
import java.util.Arrays;
import io.pgresilience.lab.containers.ContainerEngine;
import io.pgresilience.lab.containers.RunLabels;

import com.github.dockerjava.api.exception.NotFoundException;
import io.pgresilience.support.LabException;
import io.pgresilience.targets.ReferenceGatewaySetup;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * The reference gateway's image, built once per run from the project's own classes and the jars Maven lists in
 * target/gateway.classpath, on a Java runtime image. It carries the run's labels and is removed at the end.
 */
final class GatewayImage {

    private final String baseImage;
    private final RunLabels labels;
    private final ContainerEngine engine;
    private final String name;
    private boolean built;

    GatewayImage(String baseImage, RunLabels labels, ContainerEngine engine) {
        this.baseImage = baseImage;
        this.labels = labels;
        this.engine = engine;
        this.name = "localhost/" + labels.name("gateway") + ":latest";
    }

    /** Builds the image on first use; the image name. */
    String name(Duration pullWithin) {
        if (!built) {
            engine.requireImage(baseImage, "lab.gateway-base-image", pullWithin);
            build();
            built = true;
        }
        return name;
    }

    private void build() {
        Path classes = Path.of("target", "classes");
        List<Path> jars = gatewayJars();
        // deleteOnExit=false: Testcontainers would leave it to Ryuk, which is off; close() removes it.
        ImageFromDockerfile image = new ImageFromDockerfile(name, false).withFileFromPath("classes", classes);
        List<String> copied = new ArrayList<>();
        for (int i = 0; i < jars.size(); i++) {
            String entry = "lib/" + i + "-" + jars.get(i).getFileName();
            image.withFileFromPath(entry, jars.get(i));
            copied.add(entry);
        }
        image.withFileFromString("Dockerfile", dockerfile(copied.isEmpty()));
        try {
            image.get();
        } catch (RuntimeException e) {
            throw new LabException("cannot build the reference gateway's image " + name + " FROM " + baseImage + ": "
                    + e.getMessage(), e);
        }
    }

    private String dockerfile(boolean noJars) {
        List<String> entrypoint = new ArrayList<>(List.of("java"));
        entrypoint.addAll(ReferenceGatewaySetup.JVM_OPTIONS);
        entrypoint.addAll(List.of("-cp", "/app/classes:/app/lib/*", ReferenceGatewaySetup.MAIN_CLASS));
        String labelLines = labels.map().entrySet().stream().map(e -> e.getKey() + "=\"" + e.getValue() + "\"")
                .collect(Collectors.joining(" "));
        return "FROM " + baseImage + "\n"
                + "LABEL " + labelLines + "\n"
                + (noJars ? "" : "COPY lib/ /app/lib/\n")
                + "COPY classes/ /app/classes/\n"
                + "EXPOSE " + ReferenceGatewayContainer.PORT + "\n"
                + "ENTRYPOINT [" + entrypoint.stream().map(a -> "\"" + a + "\"").collect(Collectors.joining(", ")) + "]\n";
    }

    /** The gateway's runtime jars, as Maven wrote them at process-classes (see pom.xml). */
    private static List<Path> gatewayJars() {
        Path file = Path.of("target", "gateway.classpath");
        if (!Files.exists(file) || !Files.isDirectory(Path.of("target", "classes"))) {
            throw new LabException("target/gateway.classpath or target/classes is missing: run the suite through Maven (mvn test)");
        }
        try {
            String cp = Files.readString(file).trim();
            return cp.isEmpty() ? List.of() : Arrays.stream(cp.split(File.pathSeparator)).map(Path::of).toList();
        } catch (IOException e) {
            throw new LabException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    void remove() {
        if (!built) {
            return;
        }
        try {
            engine.client().removeImageCmd(name).withForce(true).exec();
        } catch (NotFoundException ignored) {
            // already gone
        }
        built = false;
    }
}
