@cozystack
Feature: 04 CozyStack: will CozyStack run on these nodes, and if not, what does it need
  Before anything is created, the capacity verdict compares the profile's nodes with the
  minimums CozyStack and Talos document. The install then shows every blocker with its numbers.
  A failure the verdict predicted is an expected failure, reported in the verdict's words;
  any other failure is a failure.

  Scenario: The capacity verdict is given before any money is spent
    Given the capacity verdict for the profile's nodes
    Then the verdict was reached before anything was created
    And every requirement states what was measured, what is required and where the rule comes from
    And every requirement the nodes miss comes with advice naming an instance type that meets it

  Scenario: The nodes are Ready and arm64
    Given CozyStack is installed on the Talos nodes
    Then every Talos node is registered in Kubernetes and Ready
    And every node runs on arm64

  Scenario: The nodes have the CPU and memory CozyStack documents as its minimum
    Given CozyStack is installed on the Talos nodes
    Then every node has CozyStack's documented minimum of CPU and memory

  Scenario: Every system HelmRelease of CozyStack is Ready
    Given CozyStack is installed on the Talos nodes
    Then every system HelmRelease is Ready

  Scenario: Virtual machines can run
    Given CozyStack is installed on the Talos nodes
    Then KubeVirt is deployed
    And every node offers /dev/kvm to KubeVirt

  Scenario: The hello SpinApp runs on arm64 and answers through the bastion
    Given CozyStack is installed on the Talos nodes
    Then the Spin runtime class is installed
    And the hello SpinApp is Ready on an arm64 node
    And the hello SpinApp answers through the bastion

  Scenario: The gateway node joins the tailnet
    Given a Tailscale auth key is configured for the gateway node
    Then the gateway's Tailscale service is running
