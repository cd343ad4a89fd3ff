// Sleeping in atomic context.
struct demo_hw {
	spinlock_t lock;
	struct mutex mutex;
	struct timer_list timer;
	struct work_struct work;
	struct urb *urb;
	void *buf;
	int irq;
};

static int demo_wait_ready(struct demo_hw *hw)
{
	msleep(10); /* rel: sleep */
	return 0;
}

static void demo_bad_lock(struct demo_hw *hw)
{
	unsigned long flags;

	spin_lock_irqsave(&hw->lock, flags);
	hw->buf = kmalloc(64, GFP_KERNEL); /* expect: KA501 */
	demo_wait_ready(hw); /* expect: KA501 rel=sleep */
	spin_unlock_irqrestore(&hw->lock, flags);
}

/* GOOD: GFP_ATOMIC under the lock; sleeping after unlock; gfp unknown */
static void demo_good_lock(struct demo_hw *hw, gfp_t gfp)
{
	spin_lock(&hw->lock);
	hw->buf = kmalloc(64, GFP_ATOMIC);
	kfree(kmalloc(8, gfp));
	spin_unlock(&hw->lock);
	msleep(1);
	mutex_lock(&hw->mutex);
	msleep(1);
	mutex_unlock(&hw->mutex);
}

static void demo_timer_fn(struct timer_list *t)
{
	struct demo_hw *hw = from_timer(hw, t, timer);

	mutex_lock(&hw->mutex); /* expect: KA501 */
	mutex_unlock(&hw->mutex);
}

/* GOOD: work callbacks may sleep */
static void demo_work_fn(struct work_struct *w)
{
	struct demo_hw *hw = container_of(w, struct demo_hw, work);

	msleep(5);
	demo_wait_ready(hw);
}

static irqreturn_t demo_irq(int irq, void *dev)
{
	struct demo_hw *hw = dev;

	usb_kill_urb(hw->urb); /* expect: KA501 */
	return IRQ_WAKE_THREAD;
}

/* GOOD: the threaded half may sleep */
static irqreturn_t demo_irq_thread(int irq, void *dev)
{
	msleep(1);
	return IRQ_HANDLED;
}

static void demo_complete(struct urb *urb)
{
	struct demo_hw *hw = urb->context;

	usb_submit_urb(urb, GFP_KERNEL); /* expect: KA501 */
	usb_submit_urb(hw->urb, GFP_ATOMIC);
}

static int demo_setup(struct demo_hw *hw, struct usb_device *dev)
{
	timer_setup(&hw->timer, demo_timer_fn, 0);
	INIT_WORK(&hw->work, demo_work_fn);
	usb_fill_bulk_urb(hw->urb, dev, 0, hw->buf, 64, demo_complete, hw);
	return request_threaded_irq(hw->irq, demo_irq, demo_irq_thread, 0, "demo", hw);
}

/* GOOD: rcu read section without sleeping; BAD with */
static void demo_rcu(struct demo_hw *hw)
{
	rcu_read_lock();
	hw->irq = 0;
	rcu_read_unlock();
	rcu_read_lock();
	synchronize_rcu(); /* expect: KA501 */
	rcu_read_unlock();
}

/* GOOD: the helper is entered with the caller's spinlock and drops it before sleeping */
struct demo_tscm {
	spinlock_t lock;
	int changed;
};

static long demo_read_locked(struct demo_tscm *t, char __user *buf)
	__releases(&t->lock)
{
	int ev = t->changed;

	t->changed = 0;
	spin_unlock_irq(&t->lock);
	if (copy_to_user(buf, &ev, sizeof(ev)))
		return -EFAULT;
	return sizeof(ev);
}

static long demo_hwdep_read(struct demo_tscm *t, char __user *buf)
{
	long n = 0;

	spin_lock_irq(&t->lock);
	if (t->changed)
		n = demo_read_locked(t, buf);
	else
		spin_unlock_irq(&t->lock);
	return n;
}

/* The sleeping paths of these helpers depend on an argument: with 0/false they do not
 * sleep (a firmware check told not to load the firmware, a position read told not to wait). */
static int demo_check_firmware(struct demo_hw *hw, int load_on_demand)
{
	if (!hw->buf) {
		if (!load_on_demand)
			return -EIO;
		msleep(100); /* rel: fw */
	}
	return 0;
}

static void demo_get_position(struct demo_hw *hw, bool can_sleep)
{
	if (can_sleep)
		usleep_range(20, 21);
}

static void demo_fw_checks(struct demo_hw *hw)
{
	spin_lock(&hw->lock);
	demo_check_firmware(hw, 0);
	demo_get_position(hw, false);
	demo_check_firmware(hw, 1); /* expect: KA501 rel=fw */
	spin_unlock(&hw->lock);
}
