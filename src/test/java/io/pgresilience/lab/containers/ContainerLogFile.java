package io.pgresilience.lab.containers;


import io.pgresilience.support.LabException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;
import org.testcontainers.containers.output.OutputFrame;

/** Appends a container's stdout and stderr to a log file as it comes (the file GatewayLog reads). */
public final class ContainerLogFile implements Consumer<OutputFrame>, AutoCloseable {

    private final OutputStream out;

    public ContainerLogFile(Path file) {
        try {
            Files.createDirectories(file.getParent());
            out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new LabException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void accept(OutputFrame frame) {
        byte[] bytes = frame.getBytes();
        if (bytes == null) {
            return; // the end of the stream
        }
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            // closed while the container still talked: the rest of its output is lost, nothing else
        }
    }

    @Override
    public synchronized void close() {
        try {
            out.close();
        } catch (IOException ignored) {
            // nothing to flush any more
        }
    }
}
