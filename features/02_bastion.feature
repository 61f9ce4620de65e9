@bastion
Feature: 02 Bastion: a fixed-address bastion with registry caches, the boot-to-talos asset server and DNS
  The bastion phase builds the bastion the profile describes. The AWS side is read back from
  the API. The host side runs on the bastion over SSH: live on the real bastion, offline on a
  loopback stand-in that runs the rendered configuration with real daemons. What only a real
  kernel can show (an interface address, forwarding, masquerade) is read from the rendered
  user-data offline; each step's evidence column says which it was. With --existing the
  bastion is held to the design, not to this suite's rendering: any AL2023 arm64 image the
  profile allows, one user-data, and (against an endpoint, with no host to reach) the
  services and forwarding its real user-data starts; the other host scenarios skip.

  Background:
    Given the bastion of the lab is provisioned

  Scenario: The bastion holds its fixed address in the planned subnet
    Then the bastion runs in the planned subnet as the planned instance type with the run's key pair
    And the bastion's own network interface holds exactly the planned private address
    And the bastion has one IPv6 address in its subnet exactly when the profile asks for one
    And the bastion's source/destination check is off, so it can forward for the nodes
    And the bastion has a public IPv4 address only if the profile gives it one

  Scenario: The bastion boots Amazon Linux 2023 for arm64 with one user-data
    Then the bastion and its launch template use the Amazon Linux 2023 arm64 image the design allows
    And the bastion and its launch template carry one user-data, the rendered one when this run launched them

  Scenario: The bastion runs when the profile says
    Then the bastion runs as the profile says: a single instance, or a group with its daily start and stop

  Scenario: The bastion's role allows Systems Manager and nothing more
    Then the bastion has its instance profile, trusted by EC2 only, with the Systems Manager core actions only

  @posture
  Scenario: The bastion is locked down
    Then the bastion and its launch template require IMDSv2
    And the bastion's launch template sets the CPU credit mode the profile asks for
    And the bastion's root volume is encrypted gp3 of the planned size
    And the bastion's interface carries only the bastion security group, whose SSH rule phase 01 checks

  @posture
  Scenario: No secret is in the bastion's user-data or launch template
    Then no secret is in the bastion's user-data or launch template

  @created_by_run
  Scenario: Everything the bastion phase created carries the run's tags
    Then every resource of the bastion phase carries the run's tags

  Scenario: The operator reaches the bastion over SSH
    Then a shell on the bastion answers as the profile's user
    And the bastion holds its fixed private address on an interface

  Scenario Outline: The <registry> cache serves images
    Then the <registry> cache answers GET /v2/ with 200 on port <port>
    And an image pulled through the <registry> cache comes from its upstream and is stored in the cache

    Examples:
      | registry        | port |
      | docker.io       | 5050 |
      | registry.k8s.io | 5051 |
      | quay.io         | 5052 |
      | gcr.io          | 5053 |
      | ghcr.io         | 5054 |

  Scenario: The nodes can fetch boot-to-talos from the bastion
    Then the asset server serves boot-to-talos with its pinned checksum

  Scenario: The VPC's names resolve through the bastion
    Then a name the VPC resolver knows resolves through the bastion's DNS forwarder

  Scenario: The bastion forwards for the nodes exactly when the profile says
    Then IPv4 forwarding and the nodes' masquerade are on exactly when the profile makes the bastion their exit

  Scenario: The bastion's services are running
    Then every service the user-data starts is running
