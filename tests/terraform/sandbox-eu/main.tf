# The operator's sandbox as their aws-accounts Terraform builds it (upstream-facts §4: modules/vpc and
# modules/bastion-ci, the later version with the fixed-address ENI), rewritten for this project's
# --existing test: the same names, CIDRs, addresses and choices, no modules, nothing downloaded.
# Unverified (not in the stored snapshot): the zones of the subnets (-0 in a, -1 in b) and the root
# volume's encryption (unset here: Terraform's default, unencrypted). The WireGuard key and the ghcr.io
# token are test values the test generates and passes in; nothing secret is in this file.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

variable "endpoint" {
  type = string
}

variable "wireguard_client_key" {
  description = "the bastion's WireGuard private key (the test passes a generated one)"
  type        = string
  sensitive   = true
}

variable "ghcr_token" {
  description = "the ghcr.io pull-through cache's registry password (the test passes a generated one)"
  type        = string
  sensitive   = true
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
}

data "aws_ami" "amazon_linux" {
  most_recent = true
  owners      = ["amazon"]
  filter {
    name   = "name"
    values = ["al2023-ami-*-kernel-6.1-arm64"]
  }
  filter {
    name   = "architecture"
    values = ["arm64"]
  }
}

# --- modules/vpc ----------------------------------------------------------------------------------

resource "aws_vpc" "this" {
  cidr_block                       = "10.10.0.0/16"
  assign_generated_ipv6_cidr_block = true
  tags                             = { Name = "sandbox-eu-vpc" }
}

locals {
  subnets = {
    "public-0"  = { cidr = "10.10.0.0/24", az = "eu-west-1a", public = true, v6 = 0 }
    "public-1"  = { cidr = "10.10.1.0/24", az = "eu-west-1b", public = true, v6 = 1 }
    "private-0" = { cidr = "10.10.10.0/24", az = "eu-west-1a", public = false, v6 = 10 }
    "private-1" = { cidr = "10.10.11.0/24", az = "eu-west-1b", public = false, v6 = 11 }
  }
}

resource "aws_subnet" "this" {
  for_each                = local.subnets
  vpc_id                  = aws_vpc.this.id
  cidr_block              = each.value.cidr
  availability_zone       = each.value.az
  ipv6_cidr_block         = cidrsubnet(aws_vpc.this.ipv6_cidr_block, 8, each.value.v6)
  map_public_ip_on_launch = each.value.public
  tags                    = { Name = "sandbox-eu-${each.key}" }
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
  tags   = { Name = "sandbox-eu-igw" }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.this.id
  }
  route {
    ipv6_cidr_block = "::/0"
    gateway_id      = aws_internet_gateway.this.id
  }
  tags = { Name = "sandbox-eu-public-rt" }
}

resource "aws_route_table_association" "public" {
  for_each       = toset(["public-0", "public-1"])
  subnet_id      = aws_subnet.this[each.key].id
  route_table_id = aws_route_table.public.id
}

resource "aws_security_group" "bastion" {
  name        = "sandbox-eu-bastion-sg"
  description = "bastion"
  vpc_id      = aws_vpc.this.id
  ingress {
    protocol         = "tcp"
    from_port        = 22
    to_port          = 22
    cidr_blocks      = ["0.0.0.0/0"]
    ipv6_cidr_blocks = ["::/0"]
  }
  egress {
    protocol         = "-1"
    from_port        = 0
    to_port          = 0
    cidr_blocks      = ["0.0.0.0/0"]
    ipv6_cidr_blocks = ["::/0"]
  }
  tags = { Name = "sandbox-eu-bastion-sg" }
}

resource "aws_security_group" "endpoints" {
  name        = "sandbox-eu-endpoints"
  description = "VPC endpoints"
  vpc_id      = aws_vpc.this.id
  ingress {
    protocol    = "tcp"
    from_port   = 443
    to_port     = 443
    cidr_blocks = ["10.10.0.0/16"]
  }
}

# --- modules/bastion-ci (later version: a plain instance on a fixed-address ENI) ------------------

resource "aws_iam_role" "bastion_role" {
  name = "tf-role"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy_attachment" "ssm_core" {
  role       = aws_iam_role.bastion_role.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "bastion" {
  name = "tf-instance-profile"
  role = aws_iam_role.bastion_role.name
}

resource "aws_network_interface" "bastion" {
  subnet_id          = aws_subnet.this["public-1"].id
  private_ips        = ["10.10.1.100"]
  ipv6_address_count = 1
  security_groups    = [aws_security_group.bastion.id]
  source_dest_check  = false
  tags               = { Name = "tf-bastion-eni" }
}

resource "aws_instance" "bastion" {
  ami                  = data.aws_ami.amazon_linux.id
  instance_type        = "t4g.small"
  iam_instance_profile = aws_iam_instance_profile.bastion.name
  user_data = templatefile("${path.module}/userdata.sh.tftpl", {
    wireguard_client_key = var.wireguard_client_key, ghcr_token = var.ghcr_token
  })
  network_interface {
    device_index         = 0
    network_interface_id = aws_network_interface.bastion.id
  }
  root_block_device {
    volume_size = 32
    volume_type = "gp3"
  }
  metadata_options {
    http_tokens   = "required"
    http_endpoint = "enabled"
  }
  credit_specification {
    cpu_credits = "standard"
  }
  tags = { Name = "tf-bastion" }
}
