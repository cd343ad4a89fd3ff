/* References taken through this file's own helpers and macros. */

#define gh_ep_to_port(ep)	of_get_parent(ep)

/* Returns the parent only when it is a "ports" node; puts its own lookup otherwise. */
static struct device_node *gh_port_to_ports(struct device_node *port)
{
	struct device_node *ports = of_get_parent(port);

	if (!of_node_name_eq(ports, "ports")) {
		of_node_put(ports);
		return NULL;
	}
	return ports;
}

/* The port from the renaming macro leaks when the helper finds no ports node: the helper's
 * put of its own lookup does not put the caller's port. */
static int gh_parse(struct device_node *ep, int idx)
{
	struct device_node *port = gh_ep_to_port(ep);
	struct device_node *ports;
	int ret = 0;

	ports = gh_port_to_ports(port);
	if (!ports)
		return -ENODEV;
	if (idx >= of_get_child_count(ports))
		ret = -EINVAL;
	of_node_put(ports);
	of_node_put(port);
	return ret;
}

/* The ports node the helper hands back is a reference too. */
static int gh_count(struct device_node *port, int *n)
{
	struct device_node *ports = gh_port_to_ports(port);

	if (!ports)
		return -ENODEV;
	*n = of_get_child_count(ports);
	if (*n == 0)
		return -ENOENT;
	of_node_put(ports);
	return 0;
}
