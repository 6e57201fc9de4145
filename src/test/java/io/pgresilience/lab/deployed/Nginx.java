package io.pgresilience.lab.deployed;

import io.pgresilience.config.DeploymentSpec;
import io.pgresilience.lab.Deadlines;
import io.pgresilience.lab.LabDirectory;
import io.pgresilience.support.Command;
import io.pgresilience.support.LabException;
import io.pgresilience.support.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * nginx (Debian's nginx-light or nginx) as the deployment's reverse proxy in front of the gateway replicas: the proxy
 * directives of ContextForge's infra/nginx/nginx.conf that act on the suite's requests ({@code location = /health} and
 * {@code location /}: its connect/send/read timeouts, and proxy_next_upstream with its tries and timeout), one upstream
 * of the replicas (compose reaches them by Docker's DNS, round robin). Its configuration, pid, temp files and logs live
 * in the lab's directory.
 */
public final class Nginx implements AutoCloseable {

    public static final List<Path> BINARIES = List.of(Path.of("/usr/sbin/nginx"), Path.of("/usr/bin/nginx"));

    private final PartProcess process;
    private final int port;
    private final String version;

    private Nginx(PartProcess process, int port, String version) {
        this.process = process;
        this.port = port;
        this.version = version;
    }

    /** The binary, or one line naming the package that brings it. */
    public static Path locate() {
        return BINARIES.stream().filter(Files::isExecutable).findFirst().orElseThrow(() -> new LabException(
                "deployment needs nginx: not found at " + BINARIES + "; apt-get install nginx-light"));
    }

    /** "nginx version: nginx/1.22.1" */
    public static String versionOutput() {
        return Command.of(locate().toString(), "-v").run().output().strip();
    }

    public static Nginx start(LabDirectory directory, Deadlines deadlines, DeploymentSpec spec, List<Integer> replicaPorts) {
        Path dir = directory.path().resolve("nginx");
        int port = Ports.free();
        try {
            Files.createDirectories(dir.resolve("temp"));
            Path conf = dir.resolve("nginx.conf");
            Files.writeString(conf, conf(spec, dir, port, replicaPorts));
            Command.Result test = Command.of(locate().toString(), "-t", "-q", "-c", conf.toString(), "-p", dir.toString()).run();
            if (!test.ok()) {
                throw new LabException("nginx refused the deployment's configuration " + conf + ": " + test.output().strip().replace('\n', ' '));
            }
            PartProcess p = PartProcess.start("nginx", List.of(locate().toString(), "-c", conf.toString(), "-p", dir.toString(),
                    "-g", "daemon off;"), dir.resolve("nginx-" + directory.path().getFileName().toString().replaceFirst(".*-lab", "lab") + ".log"), directory);
            p.awaitPort(port, deadlines);
            return new Nginx(p, port, versionOutput().replaceFirst("^.*nginx/", ""));
        } catch (IOException e) {
            throw new LabException("cannot start nginx in " + dir + ": " + e.getMessage(), e);
        }
    }

    static String conf(DeploymentSpec spec, Path dir, int port, List<Integer> replicaPorts) {
        // max_fails=0: compose's nginx resolves "gateway" per request (a variable proxy_pass with Docker's resolver), so a
        // replica's failure is not remembered across requests; within one, proxy_next_upstream tries the next replica.
        String servers = replicaPorts.stream().map(p -> "        server 127.0.0.1:" + p + " max_fails=0;").collect(Collectors.joining("\n"));
        String common = """
                            proxy_set_header Host $http_host;
                            proxy_set_header X-Real-IP $remote_addr;
                            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                            proxy_set_header Connection "";
                            proxy_http_version 1.1;
                """;
        return "# ContextForge's infra/nginx/nginx.conf, the directives that act on the suite's requests (values cited in the\n"
                + "# deployment file " + spec.name() + ")\n"
                + "worker_processes 1;\n"
                + "pid " + dir.resolve("nginx.pid") + ";\n"
                + "error_log stderr warn;\n"
                + "events { worker_connections 1024; }\n"
                + "http {\n"
                + "    access_log off;\n"
                + "    client_body_temp_path " + dir.resolve("temp/body") + ";\n"
                + "    proxy_temp_path " + dir.resolve("temp/proxy") + ";\n"
                + "    fastcgi_temp_path " + dir.resolve("temp/fastcgi") + ";\n"
                + "    uwsgi_temp_path " + dir.resolve("temp/uwsgi") + ";\n"
                + "    scgi_temp_path " + dir.resolve("temp/scgi") + ";\n"
                + "    keepalive_timeout " + spec.value("nginx", "keepalive_timeout") + ";\n"
                + "    client_max_body_size " + spec.value("nginx", "client_max_body_size") + ";\n"
                + "    upstream gateway {\n" + servers + "\n        keepalive 32;\n    }\n"
                + "    server {\n"
                + "        listen 127.0.0.1:" + port + ";\n"
                + "        location = /health {\n"
                + "            proxy_pass http://gateway;\n" + common
                + "            proxy_connect_timeout " + spec.value("nginx", "health.proxy_connect_timeout") + ";\n"
                + "            proxy_read_timeout " + spec.value("nginx", "health.proxy_read_timeout") + ";\n"
                + "        }\n"
                + "        location / {\n"
                + "            proxy_pass http://gateway;\n" + common
                + "            proxy_next_upstream " + spec.value("nginx", "proxy_next_upstream") + ";\n"
                + "            proxy_next_upstream_tries " + spec.value("nginx", "proxy_next_upstream_tries") + ";\n"
                + "            proxy_next_upstream_timeout " + spec.value("nginx", "proxy_next_upstream_timeout") + ";\n"
                + "            proxy_connect_timeout " + spec.value("nginx", "proxy_connect_timeout") + ";\n"
                + "            proxy_send_timeout " + spec.value("nginx", "proxy_send_timeout") + ";\n"
                + "            proxy_read_timeout " + spec.value("nginx", "proxy_read_timeout") + ";\n"
                + "        }\n"
                + "    }\n"
                + "}\n";
    }

    public int port() {
        return port;
    }

    public String version() {
        return version;
    }

    public long pid() {
        return process.pid();
    }

    public boolean alive() {
        return process.alive();
    }

    @Override
    public void close() {
        process.close();
    }
}
