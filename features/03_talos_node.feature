@talos
Feature: 03 Talos nodes: boot-to-talos installs Talos on every node, at its fixed address
  Each node is an Amazon Linux 2023 arm64 instance on its own network interface with its
  planned private address. Its user-data fetches boot-to-talos from the bastion, checks its
  checksum and installs Talos to disk; the machine configuration is applied over the Talos
  API through the bastion. Every check reads the node back: from the AWS API, from the serial
  console, or from talosctl. With --existing the nodes are found at their fixed addresses and
  only read: the @talos_api scenarios need the operator's talosconfig (TDG_TALOSCONFIG) and a
  live bastion, the @serial_console ones a live run; otherwise they skip, saying which.

  Background:
    Given the Talos nodes of the lab are provisioned

  Scenario: One node is launched for every node the profile plans
    Then every planned node has exactly one instance and there is no other
    And every node's instance has the profile's instance type

  @created_by_run
  Scenario: Every node the run launched carries the run's tags, its role and the planned CPU credit mode
    Then every node's instance carries the run's tags and its role
    And every node's launch template sets the CPU credit mode the profile asks for

  Scenario: The nodes boot the way the profile plans
    Then the nodes boot with the method the profile plans

  Scenario Outline: Node <n> has exactly its planned address and no public IPv4
    Given Talos node <n> of the profile
    Then its instance has exactly the planned private address
    And its instance has no public IPv4 address

    @every_node
    Examples: one row per node of the profile (fixtures/every_node.py)
      | n |

  @serial_console
  Scenario Outline: Node <n>'s console shows that boot-to-talos installed Talos and rebooted
    Given Talos node <n> of the profile
    Then its serial console shows boot-to-talos installing Talos to disk and rebooting

    @every_node
    Examples: one row per node of the profile (fixtures/every_node.py)
      | n |

  @talos_api
  Scenario Outline: Node <n> runs Talos and is ready
    Given Talos node <n> of the profile
    Then it answers on the Talos API with the pinned Talos version
    And its machine stage is running and ready
    And its clock is synced

    @every_node
    Examples: one row per node of the profile (fixtures/every_node.py)
      | n |

  @talos_api
  Scenario Outline: Node <n> holds its planned address from its configuration, not from DHCP
    Given Talos node <n> of the profile
    Then its address is the planned one, set by the machine configuration or the kernel command line

    @every_node
    Examples: one row per node of the profile (fixtures/every_node.py)
      | n |

  @talos_api
  Scenario Outline: Node <n> takes its name, route, resolver and mirrors from its configuration
    Given Talos node <n> of the profile
    Then its hostname is its planned name
    And its default route goes via the planned gateway and wins over the kernel command line's
    And it resolves names through the VPC resolver
    And it pulls images through the bastion's plain-HTTP caches

    @every_node
    Examples: one row per node of the profile (fixtures/every_node.py)
      | n |

  @talos_api
  Scenario Outline: Node <n> has the memory and the disk it needs
    Given Talos node <n> of the profile
    Then its memory is at least Talos' minimum for its role and what its instance type promises
    And Talos is installed on an NVMe disk of at least the planned size

    @every_node
    Examples: one row per node of the profile (fixtures/every_node.py)
      | n |

  @talos_api
  Scenario Outline: Node <n> has the data disk the profile plans
    Given Talos node <n> of the profile
    Then its instance has the profile's data volume, encrypted, tagged and deleted with it
    And talosctl lists that data disk beside the system disk

    @every_node
    Examples: one row per node of the profile (fixtures/every_node.py)
      | n |

  @talos_api
  Scenario Outline: Node <n> carries the system extensions of its role
    Given Talos node <n> of the profile
    Then it has every system extension its role needs

    @every_node
    Examples: one row per node of the profile (fixtures/every_node.py)
      | n |

  @talos_api
  Scenario: The cluster passes talosctl health
    Then talosctl health passes, apart from the readiness checks that wait for CozyStack's network

  @posture
  Scenario: The nodes are locked down
    Then no node has a public IPv4 address
    And every node requires IMDSv2
    And every node's volumes are encrypted
    And no node's user-data holds a secret
