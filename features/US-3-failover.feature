@US-3
Feature: Database Failover
  As an SRE
  I want the gateway to handle primary/replica failover
  So that service continues during database maintenance

  # Source: ContextForge issue #2466, US-3 and section 3. The lab is a primary with a streaming standby.
  # Correctness is judged from the history of every request made during the fault (Jepsen's ok/fail/unknown)
  # against the final contents of the database. In FO-03 the gateway restarts while both nodes accept writes: a
  # gateway that takes the first writable host it finds then writes to the stale one. In FO-01 the replication link breaks just before the primary
  # crashes: the window in which asynchronous replication loses acknowledged writes and synchronous must not. When
  # the standby stays away longer than the statement timeout, PostgreSQL gives up waiting for it and keeps the commit
  # locally with only a warning: a gateway must not acknowledge such a commit, or the failover loses it.
  # RTO counts from the moment the primary is lost, not from the promotion.

  @story @failover
  Scenario: Primary failover to replica
    Given a primary-replica PostgreSQL setup
    When the primary fails
    And replica is promoted
    Then gateway should reconnect to new primary
    And writes should resume
    And no data corruption should occur

  # A planned switchover is the maintenance of the user story: the primary hands over to the standby on purpose
  # (Patroni's switchover where Patroni runs the cluster; elsewhere the operator's clean shutdown and promotion).
  @switchover @failover
  Scenario: Planned switchover for maintenance
    Given the gateway is running with PostgreSQL
    And background traffic flows through the gateway
    When the primary hands over to the standby for maintenance
    Then writes resume on the new primary within the RTO deadline
    And requests failed for no longer than the switchover's error window
    And no acknowledged write was lost
    And no write that failed was applied

  @FO-01 @failover
  Scenario Outline: FO-01 Primary failover through <topology>, <replication> replication
    Given the gateway reaches the database through <topology>
    And the standby replicates with <replication> replication
    And background traffic flows through the gateway
    When the replication link to the standby breaks
    And the primary fails
    And replica is promoted
    Then writes resume on the new primary within the RTO deadline
    And the gateway's configuration was not changed
    And no acknowledged write was lost where <replication> replication promises it
    And no write that failed was applied

    Examples:
      | topology                                    | replication  |
      | a multi-host URL                            | synchronous  |
      | a multi-host URL                            | asynchronous |
      | a single-host URL through a re-pointed proxy | synchronous  |
      | a single-host URL through a re-pointed proxy | asynchronous |

  @FO-01 @failover
  Scenario: FO-01 Primary failover after the standby was away longer than the statement timeout
    Given the gateway reaches the database through a multi-host URL
    And the standby replicates with synchronous replication
    And background traffic flows through the gateway
    When the replication link to the standby breaks
    And the standby stays away longer than the gateway's statement timeout
    And the primary fails
    And replica is promoted
    Then writes resume on the new primary within the RTO deadline
    And no acknowledged write was lost where synchronous replication promises it
    And no write that failed was applied

  @FO-02 @failover
  Scenario: FO-02 Replica lag
    Given the gateway is running with PostgreSQL
    And the standby falls behind
    When 20 servers are written through the gateway, each read back at once
    Then every read saw the write acknowledged before it
    And the standby has not replayed those writes
    And the servers the gateway lists are exactly the primary's

  @FO-03 @failover
  Scenario: FO-03 Split brain
    Given the gateway is running with PostgreSQL
    And the primary is the first host the gateway knows
    And background traffic flows through the gateway
    When the old primary is cut off from the gateway
    And the standby is promoted while the old primary keeps running
    And the old primary still accepts writes
    And the partition heals
    And the gateway restarts
    Then writes continue on the new primary
    And no acknowledged write exists only on the old primary
    And the gateway sent no write to the old primary after the promotion

  # Where an HA manager keeps the cluster (Patroni), the split brain above cannot arise by its design: a primary that
  # loses the HA manager's store stops taking writes before the lock it held runs out, and only then is the standby
  # elected. This case holds it to that promise in a real network partition: the primary is cut off from every other
  # host (the standby, the HA manager's store, the router, the gateway), and at no moment may both nodes take writes.
  @FO-03 @failover @beyond-the-plan
  Scenario: FO-03 An isolated primary is fenced by the HA manager
    Given an HA manager keeps the cluster
    And the gateway is running with PostgreSQL
    And the standby replicates with asynchronous replication
    And background traffic flows through the gateway
    When the primary is cut off from the rest of the cluster
    Then the old primary stops taking writes before the standby takes over
    And writes resume on the new primary within the RTO deadline
    When the partition heals
    Then no acknowledged write was lost where asynchronous replication promises it
    And no write that failed was applied
