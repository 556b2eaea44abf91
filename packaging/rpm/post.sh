# %post. On first install ($1 = 1) apply the preset (usr/lib/systemd/user-preset/80-mynawatch.preset),
# as Fedora's %systemd_user_post does: links the unit for all users under /etc/systemd/user.
# Upgrades keep whatever the admin chose since.
if [ "$1" -eq 1 ] ; then
	systemctl --no-reload --global preset mynawatch.service >/dev/null 2>&1 || :
fi
# Plug-in start (usr/lib/udev/rules.d/70-mynawatch.rules) works from now on.
if [ -d /run/udev ] && command -v udevadm >/dev/null 2>&1; then
	udevadm control --reload-rules >/dev/null 2>&1 || :
fi
