import type { Agent, PhoneNumber } from '@parley/sdk';
import { useQuery } from '@tanstack/react-query';
import { useSession } from './session';

/** Every agent of the account (the console's lists name agents, and forms pick them). */
export function useAgents() {
  const { client } = useSession();
  return useQuery({ queryKey: ['agents'], queryFn: async () => collect<Agent>(await client.agents.list({ limit: 100 })) });
}

export function useNumbers() {
  const { client } = useSession();
  return useQuery({ queryKey: ['numbers'], queryFn: async () => collect<PhoneNumber>(await client.numbers.list({ limit: 100 })) });
}

async function collect<T>(page: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of page) all.push(item);
  return all;
}
