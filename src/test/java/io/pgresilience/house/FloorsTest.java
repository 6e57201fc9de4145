package io.pgresilience.house;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The house's floors, bottom to top; a class may use its own floor and the floors below, never one above. The README's
 * layout table shows the same floors.
 */
class FloorsTest {

    /** Each floor: its name and its packages. */
    static final List<String[]> FLOORS = List.of(
            new String[] {"ground (support, settings)", "io.pgresilience.support..", "io.pgresilience.config.."},
            new String[] {"lab", "io.pgresilience.lab.."},
            new String[] {"faults", "io.pgresilience.faults.."},
            new String[] {"evidence", "io.pgresilience.evidence.."},
            new String[] {"targets", "io.pgresilience.targets.."},
            new String[] {"run", "io.pgresilience.run.."},
            new String[] {"world", "io.pgresilience.world.."},
            new String[] {"steps", "io.pgresilience.steps.."},
            new String[] {"tools (report, self-proof, benchmark, suite, contract)", "io.pgresilience.report..", "io.pgresilience.selfproof..",
                    "io.pgresilience.bench..", "io.pgresilience.suite..", "io.pgresilience.house..", "io.pgresilience.contract.."});

    @Test
    void noImportRunsBackUp() {
        JavaClasses classes = new ClassFileImporter().importPackages("io.pgresilience");
        for (int i = 0; i < FLOORS.size() - 1; i++) {
            String[] floor = FLOORS.get(i);
            List<String> above = new ArrayList<>();
            for (String[] higher : FLOORS.subList(i + 1, FLOORS.size())) {
                above.addAll(List.of(higher).subList(1, higher.length));
            }
            noClasses().that().resideInAnyPackage(List.of(floor).subList(1, floor.length).toArray(new String[0]))
                    .should().dependOnClassesThat().resideInAnyPackage(above.toArray(new String[0]))
                    .because("the " + floor[0] + " floor may only use its own floor and the ones below it")
                    .check(classes);
        }
    }

    @Test
    void theReferenceGatewayKnowsNothingOfTheSuite() {
        JavaClasses classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.pgresilience.gateway");
        noClasses().that().resideInAPackage("io.pgresilience.gateway..")
                .should().dependOnClassesThat().resideOutsideOfPackages("io.pgresilience.gateway..", "java..", "javax..",
                        "org..", "com..", "io.javalin..", "kotlin..")
                .because("the reference gateway is a separate program the suite tests (src/main)")
                .check(classes);
    }
}
