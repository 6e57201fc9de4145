package io.pgresilience.contract;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * CONTRACT.md, the document a gateway author reads instead of the code: prose written by hand, its tables made by
 * {@link ContractTables} and kept between marker comments ({@code <!-- contract:NAME -->} … {@code <!-- /contract:NAME -->}).
 */
public final class ContractDocument {

    public static final Path FILE = Path.of("CONTRACT.md");
    /** The one command that rewrites the generated parts of CONTRACT.md from the code. */
    public static final String REGENERATE = "mvn -o -q test -Dtest=ContractDocumentTest -Dcontract.write=true";

    private ContractDocument() {
    }

    public static String read() throws IOException {
        return Files.readString(FILE, StandardCharsets.UTF_8);
    }

    /** The document with every generated section as the code says it; fails on a missing or doubled marker. */
    public static String regenerate(String doc) {
        return regenerate(doc, ContractTables.sections());
    }

    static String regenerate(String doc, Map<String, String> sections) {
        String out = doc;
        for (Map.Entry<String, String> s : sections.entrySet()) {
            String begin = "<!-- contract:" + s.getKey() + " -->\n";
            String end = "<!-- /contract:" + s.getKey() + " -->";
            int b = out.indexOf(begin);
            int e = out.indexOf(end);
            if (b < 0 || e < b || out.indexOf(begin, b + 1) >= 0) {
                throw new IllegalStateException(FILE + " needs exactly one '" + begin.strip() + "' … '" + end
                        + "' pair (the generated section " + s.getKey() + ")");
            }
            out = out.substring(0, b + begin.length()) + s.getValue() + out.substring(e);
        }
        return out;
    }

    /** The generated sections whose text in the document differs from the code's. */
    public static List<String> drifted(String doc) {
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, String> s : ContractTables.sections().entrySet()) {
            String one = regenerate(doc, Map.of(s.getKey(), s.getValue()));
            if (!one.equals(doc)) {
                names.add(s.getKey());
            }
        }
        return names;
    }
}
