# The approved design (seed 000, provisioning/profiles/approved.yaml) as an operator might write it in
# Terraform, for the --existing integration test (tests/integration/test_terraform_existing.py).
# Written for this project; no modules, nothing downloaded. Names are deliberately NOT the suite's own
# (lab-*): --existing must find everything by CIDR and fixed address. The variables break one thing
# at a time; their defaults build the design exactly.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

variable "endpoint" {
  description = "the loopback moto server (tests only)"
  type        = string
}

variable "node_ips" {
  description = "the Talos nodes' fixed private addresses (the design: .101-.103)"
  type        = list(string)
  default     = ["10.10.0.101", "10.10.0.102", "10.10.0.103"]
}

variable "imds_optional_node" {
  description = "index of a node whose metadata service accepts IMDSv1 (-1: none)"
  type        = number
  default     = -1
}

variable "unencrypted_root_node" {
  description = "index of a node whose root volume is not encrypted (-1: none)"
  type        = number
  default     = -1
}

variable "ssh_from_world" {
  description = "also open SSH on the bastion group to 0.0.0.0/0 and ::/0"
  type        = bool
  default     = false
}

variable "home_ipv6" {
  description = "the operator's home /128 (the profile's documentation address)"
  type        = string
  default     = "2001:db8:c0:5e::10/128"
}

provider "aws" {
  region                      = "eu-west-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {
    ec2         = var.endpoint
    iam         = var.endpoint
    sts         = var.endpoint
    ssm         = var.endpoint
    autoscaling = var.endpoint
  }
  default_tags {
    tags = { ManagedBy = "terraform", Project = "lab" }
  }
}

data "aws_ssm_parameter" "al2023_arm64" {
  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
}

# --- network --------------------------------------------------------------------------------------

resource "aws_vpc" "lab" {
  cidr_block                       = "10.10.0.0/16"
  assign_generated_ipv6_cidr_block = true
  tags                             = { Name = "lab-vpc" }
}

resource "aws_subnet" "public" {
  vpc_id                  = aws_vpc.lab.id
  cidr_block              = "10.10.0.0/24"
  availability_zone       = "eu-west-1a"
  ipv6_cidr_block         = cidrsubnet(aws_vpc.lab.ipv6_cidr_block, 8, 0)
  map_public_ip_on_launch = false
  tags                    = { Name = "lab-public" }
}

resource "aws_internet_gateway" "lab" {
  vpc_id = aws_vpc.lab.id
  tags   = { Name = "lab-igw" }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.lab.id
  tags   = { Name = "lab-public-rt" }
}

resource "aws_route" "ipv4_default" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.lab.id
}

resource "aws_route" "ipv6_default" {
  route_table_id              = aws_route_table.public.id
  destination_ipv6_cidr_block = "::/0"
  gateway_id                  = aws_internet_gateway.lab.id
}

resource "aws_route_table_association" "public" {
  subnet_id      = aws_subnet.public.id
  route_table_id = aws_route_table.public.id
}

resource "aws_security_group" "bastion" {
  name        = "lab-bastion-sg"
  description = "bastion: SSH from home only; all from the nodes"
  vpc_id      = aws_vpc.lab.id
  tags        = { Name = "lab-bastion-sg" }
}

resource "aws_security_group" "nodes" {
  name        = "lab-talos-sg"
  description = "Talos nodes: all from the bastion and from each other"
  vpc_id      = aws_vpc.lab.id
  tags        = { Name = "lab-talos-sg" }
}

resource "aws_security_group_rule" "bastion_ssh_home" {
  security_group_id = aws_security_group.bastion.id
  type              = "ingress"
  protocol          = "tcp"
  from_port         = 22
  to_port           = 22
  ipv6_cidr_blocks  = [var.home_ipv6]
}

resource "aws_security_group_rule" "bastion_ssh_world" {
  count             = var.ssh_from_world ? 1 : 0
  security_group_id = aws_security_group.bastion.id
  type              = "ingress"
  protocol          = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_blocks       = ["0.0.0.0/0"]
  ipv6_cidr_blocks  = ["::/0"]
}

resource "aws_security_group_rule" "bastion_from_nodes" {
  security_group_id        = aws_security_group.bastion.id
  type                     = "ingress"
  protocol                 = "-1"
  from_port                = 0
  to_port                  = 0
  source_security_group_id = aws_security_group.nodes.id
}

resource "aws_security_group_rule" "nodes_from_bastion" {
  security_group_id        = aws_security_group.nodes.id
  type                     = "ingress"
  protocol                 = "-1"
  from_port                = 0
  to_port                  = 0
  source_security_group_id = aws_security_group.bastion.id
}

resource "aws_security_group_rule" "nodes_from_nodes" {
  security_group_id = aws_security_group.nodes.id
  type              = "ingress"
  protocol          = "-1"
  from_port         = 0
  to_port           = 0
  self              = true
}

# --- bastion --------------------------------------------------------------------------------------

resource "aws_iam_role" "bastion" {
  name = "lab-bastion"
  path = "/tdg/"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy" "ssm" {
  name = "ssm-session-core"
  role = aws_iam_role.bastion.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Resource = "*"
      Action = [
        "ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
      ]
    }]
  })
}

resource "aws_iam_instance_profile" "bastion" {
  name = "lab-bastion"
  path = "/tdg/"
  role = aws_iam_role.bastion.name
}

resource "aws_network_interface" "bastion" {
  subnet_id          = aws_subnet.public.id
  private_ips        = ["10.10.0.100"]
  ipv6_address_count = 1
  security_groups    = [aws_security_group.bastion.id]
  source_dest_check  = false
  tags               = { Name = "lab-bastion-eni" }
}

resource "aws_eip" "bastion" {
  domain            = "vpc"
  network_interface = aws_network_interface.bastion.id
  tags              = { Name = "lab-bastion-ipv4" }
}

resource "aws_key_pair" "operator" {
  key_name   = "lab-operator"
  public_key = file("${path.module}/operator.pub")
}

resource "aws_launch_template" "bastion" {
  name          = "lab-bastion"
  image_id      = data.aws_ssm_parameter.al2023_arm64.value
  instance_type = "t4g.small"
  key_name      = aws_key_pair.operator.key_name
  credit_specification {
    cpu_credits = "standard"
  }
  user_data     = base64encode(file("${path.module}/bastion-user-data.sh"))
  iam_instance_profile {
    arn = aws_iam_instance_profile.bastion.arn
  }
  network_interfaces {
    device_index         = 0
    network_interface_id = aws_network_interface.bastion.id
  }
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size = 30
      volume_type = "gp3"
      encrypted   = true
    }
  }
  metadata_options {
    http_tokens   = "required"
    http_endpoint = "enabled"
  }
}

resource "aws_instance" "bastion" {
  ami                  = data.aws_ssm_parameter.al2023_arm64.value
  instance_type        = "t4g.small"
  key_name             = aws_key_pair.operator.key_name
  credit_specification {
    cpu_credits = "standard"
  }
  iam_instance_profile = aws_iam_instance_profile.bastion.name
  user_data            = file("${path.module}/bastion-user-data.sh")
  launch_template {
    id      = aws_launch_template.bastion.id
    version = "$Latest"
  }
  network_interface {
    device_index         = 0
    network_interface_id = aws_network_interface.bastion.id
  }
  root_block_device {
    volume_size = 30
    volume_type = "gp3"
    encrypted   = true
  }
  metadata_options {
    http_tokens   = "required"
    http_endpoint = "enabled"
  }
  tags = { Name = "lab-bastion" }
}

# --- Talos nodes (boot-to-talos on AL2023 arm64) -------------------------------------------------

resource "aws_network_interface" "node" {
  count           = length(var.node_ips)
  subnet_id       = aws_subnet.public.id
  private_ips     = [var.node_ips[count.index]]
  security_groups = [aws_security_group.nodes.id]
  tags            = { Name = "lab-talos-${count.index + 1}" }
}

resource "aws_instance" "node" {
  count         = length(var.node_ips)
  ami           = data.aws_ssm_parameter.al2023_arm64.value
  instance_type = "t4g.medium"
  user_data     = templatefile("${path.module}/node-user-data.sh.tftpl", { bastion = "10.10.0.100" })
  network_interface {
    device_index         = 0
    network_interface_id = aws_network_interface.node[count.index].id
  }
  root_block_device {
    volume_size = 50
    volume_type = "gp3"
    encrypted   = count.index != var.unencrypted_root_node
  }
  metadata_options {
    http_tokens   = count.index == var.imds_optional_node ? "optional" : "required"
    http_endpoint = "enabled"
  }
  tags = { Name = "lab-talos-${count.index + 1}", Role = count.index == 0 ? "gateway" : "compute" }
}
