package io.pgresilience.lab.containers;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Image;
import com.github.dockerjava.api.model.Network;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Removes the lab's containers, networks and images by their labels: those of a run whose JVM is gone (killed
 * before its teardown), or everything of this run at its end, whatever teardown already removed.
 */
public final class ContainerLeftovers {

    private final DockerClient client;
    private final List<String> removed = new ArrayList<>();

    public ContainerLeftovers(DockerClient client) {
        this.client = client;
    }

    /** Everything labelled by a run whose owner JVM no longer runs. */
    public List<String> ofDeadRuns() {
        return remove(labels -> !RunLabels.ownerAlive(labels.getOrDefault(RunLabels.OWNER, "")), "of a run that was killed");
    }

    /** Everything labelled with this run. */
    public List<String> ofRun(RunLabels run) {
        return remove(labels -> run.runId().equals(labels.get(RunLabels.RUN)), "left by teardown");
    }

    private List<String> remove(Predicate<Map<String, String>> which, String why) {
        removed.clear();
        for (Container c : client.listContainersCmd().withShowAll(true).withLabelFilter(List.of(RunLabels.OWNER)).exec()) {
            if (c.getLabels() != null && which.test(c.getLabels())) {
                quietly(() -> client.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec(),
                        "container " + name(c) + " " + why);
            }
        }
        for (Network n : client.listNetworksCmd().withFilter("label", List.of(RunLabels.OWNER)).exec()) {
            if (n.getLabels() != null && which.test(n.getLabels())) {
                quietly(() -> client.removeNetworkCmd(n.getId()).exec(), "network " + n.getName() + " " + why);
            }
        }
        for (Image i : client.listImagesCmd().withLabelFilter(RunLabels.OWNER).exec()) {
            if (i.getLabels() != null && which.test(i.getLabels())) {
                String tag = i.getRepoTags() == null || i.getRepoTags().length == 0 ? i.getId() : i.getRepoTags()[0];
                quietly(() -> client.removeImageCmd(i.getId()).withForce(true).exec(), "image " + tag + " " + why);
            }
        }
        return List.copyOf(removed);
    }

    private void quietly(Runnable removal, String what) {
        try {
            removal.run();
            removed.add(what);
        } catch (NotFoundException e) {
            // already gone (teardown and Testcontainers' shutdown hook race for the same container): nothing left
        } catch (RuntimeException e) {
            removed.add("could not remove " + what + ": " + e.getMessage());
        }
    }

    private static String name(Container c) {
        return c.getNames() == null || c.getNames().length == 0 ? c.getId() : c.getNames()[0].replaceFirst("^/", "");
    }
}
