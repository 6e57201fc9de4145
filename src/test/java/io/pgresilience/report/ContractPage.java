package io.pgresilience.report;

import io.pgresilience.contract.ContractDocument;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;

/** CONTRACT.md as a page of the site: {@code reports/contract.html}, linked from the front page. */
public final class ContractPage {

    private ContractPage() {
    }

    public static void write(Path file) throws IOException {
        if (!Files.exists(ContractDocument.FILE)) {
            return; // run from elsewhere than the project's root: the front page then does not link it
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, html(ContractDocument.read()), StandardCharsets.UTF_8);
    }

    static String html(String markdown) {
        var extensions = List.of(TablesExtension.create());
        String body = HtmlRenderer.builder().extensions(extensions).build()
                .render(Parser.builder().extensions(extensions).build().parse(markdown));
        return "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>pg-resilience: the gateway contract</title>"
                + "<style>body{font-family:sans-serif;max-width:70em;margin:2em auto;padding:0 1em;line-height:1.4}"
                + "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.3em .5em;vertical-align:top;text-align:left}"
                + "code{background:#f4f4f4;padding:0 .2em}pre{background:#f4f4f4;padding:.5em}</style></head><body>\n"
                + "<p><a href=\"index.html\">← the run</a></p>\n" + body + "</body></html>\n";
    }
}
