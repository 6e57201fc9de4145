package io.pgresilience.faults.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The preflight's refusal is one line that names what is missing and the engines that need none of it. */
class KernelPreflightTest {

    @Test
    void namesWhatIsMissingAndTheEnginesThatNeedNeither() {
        String reason = KernelNet.reason(List.of("root, or CAP_NET_ADMIN and CAP_SYS_ADMIN (ip netns add mounts the namespace)",
                "nft (apt-get install -y nftables)")).orElseThrow();
        assertThat(reason).doesNotContain("\n").contains("missing: root, or CAP_NET_ADMIN and CAP_SYS_ADMIN").contains("nft (apt-get install -y nftables)")
                .contains("-Dfaults=in-jvm (the default) and -Dfaults=toxiproxy need neither");
        assertThat(KernelNet.reason(List.of())).isEmpty();
    }
}
