// Commander's way of gathering a repeatable flag (--header, --threshold) into a list.
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
