/* State a helper leaves in the caller's object is the object's business: when a later init
 * step fails, the object's destructor (not this function) undoes it. Only a probe, whose
 * failure means no remove() will ever run, must unwind such state itself. */

struct fx_card_hw {
	struct pci_dev *pci;
	unsigned long io_base;
};
/* The helper enables the PCI device kept in the caller's object; when a later init step
 * fails, the object's destructor (not this function) shuts the card down. */
static int fx_card_start(struct fx_card_hw *hw)
{
	struct pci_dev *pci = hw->pci;
	int err;

	err = pci_enable_device(pci);
	if (err < 0)
		return err;
	if (dma_set_mask_and_coherent(&pci->dev, DMA_BIT_MASK(32)))
		dma_set_mask_and_coherent(&pci->dev, DMA_BIT_MASK(24));
	err = pci_request_regions(pci, "fx");
	if (err < 0)
		goto err_disable;
	hw->io_base = pci_resource_start(pci, 0);
	pci_set_master(pci);
	return 0;

err_disable:
	pci_disable_device(pci);
	return err;
}

static int fx_card_hw_init(struct fx_card_hw *hw, unsigned int rate)
{
	int err;

	err = fx_card_start(hw);
	if (err)
		return err;
	err = fx_pll_init(hw, rate);
	if (err < 0)
		return err;
	return 0;
}
