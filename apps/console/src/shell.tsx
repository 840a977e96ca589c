import { AppShell, Burger, Button, Group, NavLink, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Link, Outlet, useRouterState } from '@tanstack/react-router';
import { useSession } from './session';

const NAV = [
  { to: '/calls', label: 'Calls' },
  { to: '/agents', label: 'Agents' },
  { to: '/campaigns', label: 'Campaigns' },
  { to: '/numbers', label: 'Numbers and trunks' },
  { to: '/do-not-call', label: 'Do not call' },
  { to: '/webhooks', label: 'Webhooks' },
  { to: '/billing', label: 'Billing' },
] as const;

/** The frame of every page: the account, the navigation (a drawer on a phone) and the page. */
export function Shell() {
  const { account, signOut } = useSession();
  const [opened, { toggle, close }] = useDisclosure();
  const path = useRouterState({ select: (s) => s.location.pathname });
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 200, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="sm">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
            <Title order={1} size="h4">Parley</Title>
          </Group>
          <Group gap="sm">
            <Text size="sm" c="dimmed" visibleFrom="xs">{account.name}</Text>
            <Button variant="subtle" size="xs" onClick={signOut}>Sign out</Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Console">
        {NAV.map((item) => (
          <NavLink key={item.to} component={Link} to={item.to} label={item.label} active={path.startsWith(`/console${item.to}`) || path.startsWith(item.to)} onClick={close} />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
