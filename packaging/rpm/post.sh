# %post. On first install ($1 = 1) apply the preset (usr/lib/systemd/user-preset/80-mynawatch.preset),
# as Fedora's %systemd_user_post does: links the unit for all users under /etc/systemd/user.
# Upgrades keep whatever the admin chose since. No udev rule to reload: systemd's own rules start
# smartcard.target for a reader.
if [ "$1" -eq 1 ] ; then
	systemctl --no-reload --global preset mynawatch.service >/dev/null 2>&1 || :
fi
