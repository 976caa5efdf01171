output "vpc_id" {
  description = "The VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "The VPC's address range (security group rules toward the endpoints)."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "One public subnet per AZ: load balancers (and the NAT gateway) only."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "One private subnet per AZ: tasks, nodes and endpoints, no public addresses."
  value       = aws_subnet.private[*].id
}
