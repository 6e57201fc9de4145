package io.pgresilience.steps;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

import io.cucumber.java.en.Given;
import io.cucumber.java.en.Then;
import io.cucumber.java.en.When;
import io.pgresilience.targets.Capability;
import io.pgresilience.targets.NearMisses;
import io.pgresilience.world.LabWorld;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import static org.hamcrest.Matchers.not;
import io.pgresilience.world.GatewayWorld;
import io.pgresilience.targets.Reply;
import java.util.ArrayList;
import java.util.List;

/** The guard rails: authentication, input validation, parameterized SQL. */
public class InputSafetySteps {

    private final GatewayWorld gateway;
    private final LabWorld lab;
    private final List<String> odd = new ArrayList<>();
    private final Map<String, Reply> nearMisses = new LinkedHashMap<>();
    private List<String> statementsDuringNearMisses;

    public InputSafetySteps(GatewayWorld gateway, LabWorld lab) {
        this.gateway = gateway;
        this.lab = lab;
    }

    @When("requests to the servers API carry credentials that almost match a valid one:")
    public void credentialsThatAlmostMatch(List<String> rows) {
        List<String> kinds = rows.subList(1, rows.size()); // the first row is the column's name
        String token = gateway.target().token();
        Optional<String> key = gateway.target().tokenSigningKey();
        boolean seesTheDatabase = gateway.target().has(Capability.LAB_CONTROL);
        // The readiness probes query the database: paused, so that any statement of the gateway meanwhile is the requests'.
        gateway.withReadinessPaused(() -> {
            String since = seesTheDatabase ? lab.onPrimary().clock() : null;
            for (String kind : kinds) {
                NearMisses.NearMiss miss = NearMisses.of(kind, token, key);
                if (!miss.applies()) {
                    gateway.evidence().note(kind, "not applicable: " + miss.notApplicable());
                    continue;
                }
                Reply r = gateway.client().withAuthorization(miss.authorization(), gateway.target().profile().serversPath());
                nearMisses.put(kind, r);
                gateway.evidence().note(kind, r.summary());
            }
            statementsDuringNearMisses = seesTheDatabase ? lab.onPrimary().statementsSince(since) : null;
            return null;
        });
    }

    @Then("every one of them is refused with 401")
    public void everyOneIsRefusedWith401() {
        assertThat("near misses sent", nearMisses.keySet(), not(empty()));
        List<String> let = new ArrayList<>();
        nearMisses.forEach((kind, r) -> {
            if (r.status() != 401) {
                let.add(kind + ": " + r.summary());
            }
        });
        assertThat("credentials that almost match the token, answered other than 401", let, is(empty()));
    }

    @Then("none of them reached the database")
    public void noneOfThemReachedTheDatabase() {
        gateway.require(Capability.LAB_CONTROL);
        gateway.evidence().note("statements of the gateway while the near misses were answered (pg_stat_activity)",
                statementsDuringNearMisses.isEmpty() ? "none" : String.join("; ", statementsDuringNearMisses));
        assertThat("statements the gateway began in the database while it answered credentials that almost match (a refusal "
                + "must not cost a query)", statementsDuringNearMisses, is(empty()));
    }

    @When("a request to the servers API carries no token")
    public void noToken() {
        gateway.remember(gateway.client().withAuthorization(null, gateway.target().profile().serversPath()));
    }

    @When("a request to the servers API carries a wrong token")
    public void wrongToken() {
        gateway.remember(gateway.client().withAuthorization("Bearer not-" + gateway.evidenceKey("a-token"),
                gateway.target().profile().serversPath()));
    }

    @Then("it is refused with {int}")
    public void itIsRefusedWith(int status) {
        Reply r = gateway.last();
        assertThat("the answer: " + r.summary(), r.status(), is(status));
    }

    /** 400 Bad Request or 422 Unprocessable Content: both say "your input", never a 5xx. */
    @Then("it is refused as bad input")
    public void itIsRefusedAsBadInput() {
        Reply r = gateway.last();
        assertThat("the answer: " + r.summary(), r.status(), anyOf(is(400), is(422)));
    }

    @When("a server is created with a body that is not JSON")
    public void bodyNotJson() {
        gateway.remember(gateway.client().postRaw(gateway.target().profile().serversPath(), "{\"name\": \"unterminated"));
    }

    @When("a server is created with a name of {int} characters")
    public void nameOfLength(int length) {
        gateway.remember(gateway.client().createServer("n".repeat(length)));
    }

    @Given("servers named {string}, {string}, {string} and {string} were created through the gateway")
    public void serversNamed(String a, String b, String c, String d) {
        gateway.require(Capability.NAME_FILTER);
        for (String n : List.of(a, b, c, d)) {
            String name = gateway.evidenceKey(n);
            Reply r = gateway.client().createServer(name);
            assertThat("create " + name + ": " + r.summary(), r.status(), anyOf(is(200), is(201)));
            odd.add(name);
        }
    }

    @Then("filtering the server list by each of those names finds exactly that server")
    public void filteringFindsExactly() {
        for (String name : odd) {
            Reply r = gateway.client().findServer(name);
            List<String> names = r.each("name");
            assertThat("servers found for the name " + name + ": " + r.summary(), names, equalTo(List.of(name)));
        }
    }

    @Then("filtering by {string} or {string} finds no server")
    public void filteringByWildcardsFindsNothing(String a, String b) {
        for (String wildcard : List.of(a, b)) {
            Reply r = gateway.client().findServer(wildcard);
            assertThat("servers found for the name " + wildcard + ": " + r.summary(),
                    r.each("name"), is(empty()));
        }
    }
}
